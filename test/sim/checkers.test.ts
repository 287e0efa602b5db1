// The checkers accept the textbook linearizable histories and reject the textbook violations.
import { describe, expect, test } from 'vitest';
import {
  checkConvergence, checkLinearizable, describeNonLinearizable, kvLinearizabilityProblem, kvModel, registerModel,
  type KvInput, type Operation, type RegisterInput, type RegisterOutput,
} from '../../src/sim/index.ts';

type Op = Operation<RegisterInput<number>, RegisterOutput<number>>;
let nextId = 0;
const op = (client: string, call: number, ret: number, input: RegisterInput<number>, output?: RegisterOutput<number>): Op =>
  ({ id: nextId++, client, input, output, callTime: call, returnTime: ret });
const w = (client: string, call: number, ret: number, value: number) => op(client, call, ret, { kind: 'write', value });
const r = (client: string, call: number, ret: number, value: number) => op(client, call, ret, { kind: 'read' }, value);

const register = registerModel(0);
const linearizable = (ops: Op[]) => checkLinearizable(ops, register).ok;

describe('linearizability of a register', () => {
  test('accepts a sequential history and concurrent operations in any valid order', () => {
    expect(linearizable([w('a', 0, 10, 1), r('b', 20, 30, 1), w('a', 40, 50, 2), r('b', 60, 70, 2)])).toBe(true);
    // A read overlapping a write may see the old value or the new one.
    expect(linearizable([w('a', 0, 100, 1), r('b', 10, 20, 0), r('c', 30, 40, 1)])).toBe(true);
    // Concurrent writes may take effect in either order.
    expect(linearizable([w('a', 0, 50, 1), w('b', 0, 50, 2), r('c', 60, 70, 1)])).toBe(true);
    expect(linearizable([w('a', 0, 50, 1), w('b', 0, 50, 2), r('c', 60, 70, 2)])).toBe(true);
  });

  test('rejects a stale read after a completed write', () => {
    const result = checkLinearizable([w('a', 0, 10, 1), r('b', 20, 30, 0)], register);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.stuck.map((o) => o.client)).toContain('b');
      expect(describeNonLinearizable(result, register)).toMatch(/b +\[20\.0 – 30\.0\] +read → 0 +✗ no valid place/);
    }
  });

  test('rejects writes observed in two different orders', () => {
    expect(linearizable([
      w('a', 0, 50, 1), w('b', 0, 50, 2),
      r('c', 60, 70, 1), r('d', 60, 70, 2), r('c', 80, 90, 1), r('d', 80, 90, 2),
    ])).toBe(false);
    // A read that goes back in time after another client saw the newer value.
    expect(linearizable([w('a', 0, 100, 1), r('b', 10, 20, 1), r('c', 30, 40, 0)])).toBe(false);
  });

  test('rejects a lost write (a later read returns the value before it)', () => {
    expect(linearizable([w('a', 0, 10, 1), w('a', 20, 30, 2), r('b', 40, 50, 1)])).toBe(false);
  });

  test('an operation without a reply may or may not have taken effect', () => {
    expect(linearizable([w('a', 0, Infinity, 1), r('b', 10, 20, 0), r('b', 30, 40, 1)])).toBe(true);
    expect(linearizable([w('a', 0, Infinity, 1), r('b', 10, 20, 0)])).toBe(true);
    // …but once seen, it cannot be unseen.
    expect(linearizable([w('a', 0, Infinity, 1), r('b', 10, 20, 1), r('b', 30, 40, 0)])).toBe(false);
  });

  test('compare-and-set results must match the value in place', () => {
    const cas = (client: string, call: number, ret: number, from: number, to: number, ok: boolean) =>
      op(client, call, ret, { kind: 'cas', from, to }, ok);
    expect(linearizable([cas('a', 0, 10, 0, 1, true), cas('b', 20, 30, 0, 2, false), r('c', 40, 50, 1)])).toBe(true);
    expect(linearizable([cas('a', 0, 10, 0, 1, true), cas('b', 20, 30, 0, 2, true)])).toBe(false);
  });
});

describe('linearizability of a key-value store', () => {
  type KvOp = Operation<KvInput<number>, RegisterOutput<number>>;
  const kv = kvModel(0);
  const kop = (client: string, call: number, ret: number, input: KvInput<number>, output?: number): KvOp =>
    ({ id: nextId++, client, input, output, callTime: call, returnTime: ret });

  test("the key-value exercises' verdict: nothing for a linearizable history; for a stale read, what is wrong and the key's operations with the one that has no place", () => {
    const ok = [
      kop('a', 0, 10, { key: 'x', kind: 'write', value: 1 }),
      kop('b', 20, 30, { key: 'x', kind: 'read' }, 1),
    ];
    expect(kvLinearizabilityProblem(ok, 0)).toBeUndefined();
    const problem = kvLinearizabilityProblem([...ok, kop('c', 40, 50, { key: 'x', kind: 'read' }, 0)], 0);
    expect(problem).toMatch(/^the clients' gets and puts are not linearizable: no order of them/);
    expect(problem).toContain('x: read → 0  ✗ no valid place for this result');
  });

  test('keys are independent registers', () => {
    const ok = [
      kop('a', 0, 10, { key: 'x', kind: 'write', value: 1 }),
      kop('b', 20, 30, { key: 'y', kind: 'read' }, 0),
      kop('b', 40, 50, { key: 'x', kind: 'read' }, 1),
    ];
    expect(checkLinearizable(ok, kv).ok).toBe(true);
    const stale = [...ok, kop('c', 60, 70, { key: 'x', kind: 'read' }, 0)];
    const result = checkLinearizable(stale, kv);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.ops.every((o) => o.input.key === 'x')).toBe(true);
  });

  test('a thousand-operation history from five clients is checked quickly and correctly', () => {
    // Five clients on one register; each write is seen by reads that start after it completes.
    const ops: Op[] = [];
    let value = 0;
    for (let i = 0; i < 200; i++) {
      const t = i * 10;
      value++;
      ops.push(w('c1', t, t + 6, value));
      for (const c of ['c2', 'c3', 'c4', 'c5']) ops.push(r(c, t + 3, t + 8, i % 2 ? value : value - 1));
    }
    expect(ops).toHaveLength(1_000);
    expect(linearizable(ops)).toBe(true);
    ops.push(r('c2', 2_100, 2_110, 5));
    expect(linearizable(ops)).toBe(false);
  });
});

describe('the search budget', () => {
  type KvOp = Operation<KvInput<number>, RegisterOutput<number>>;
  const kv = kvModel(0);
  /** n writes of distinct values to `key`, all concurrent, then a read of a value none wrote: a long search. */
  function hardKey(key: string, n: number): KvOp[] {
    const ops: KvOp[] = [];
    for (let i = 0; i < n; i++) ops.push({ id: nextId++, client: `w${i}`, input: { key, kind: 'write', value: i + 1 }, output: undefined, callTime: 0, returnTime: 100 });
    for (let i = 0; i < n; i++) ops.push({ id: nextId++, client: `r${i}`, input: { key, kind: 'read' }, output: ((i * 7) % n) + 1, callTime: 0, returnTime: 100 });
    ops.push({ id: nextId++, client: 'late', input: { key, kind: 'read' }, output: 0, callTime: 200, returnTime: 210 });
    return ops;
  }

  test('a history the search cannot finish within its budget is unknown: never a pass', () => {
    const result = checkLinearizable(hardKey('x', 14), kv, { maxSteps: 10_000 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.verdict).toBe('unknown');
      expect(describeNonLinearizable(result, kv)).toContain('ran out of its search budget');
    }
  });

  test('a violation on one key is found even when another key is slow to search', () => {
    const stale = [
      { id: nextId++, client: 'a', input: { key: 'y', kind: 'write' as const, value: 1 }, output: undefined, callTime: 0, returnTime: 10 },
      { id: nextId++, client: 'b', input: { key: 'y', kind: 'read' as const }, output: 0, callTime: 20, returnTime: 30 },
    ];
    // The slow key comes first: checked one after the other, the budget would run out on it.
    const result = checkLinearizable([...hardKey('x', 14), ...stale], kv, { maxSteps: 200_000 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.verdict).toBe('not-linearizable');
      expect(result.ops.every((o) => o.input.key === 'y')).toBe(true);
    }
  });
});

describe('convergence', () => {
  test('equal states converge; different ones are grouped by state', () => {
    expect(checkConvergence(new Map([['n1', { a: 1 }], ['n2', { a: 1 }]]))).toEqual({ ok: true, state: { a: 1 } });
    const result = checkConvergence(new Map([['n1', [1, 2]], ['n2', [1]], ['n3', [1, 2]]]));
    expect(result).toEqual({ ok: false, groups: [{ nodes: ['n1', 'n3'], state: [1, 2] }, { nodes: ['n2'], state: [1] }] });
  });
});
