// The transaction-history checker names each textbook anomaly (Adya's thesis, Berenson et al.'s
// "A Critique of ANSI SQL Isolation Levels", Elle's paper), accepts histories that have none, and
// never flags a serial execution or a snapshot-isolated one.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkTransactions, type Isolation, type Transaction, type TransactionHistory, type TxnOp, type TxnValue } from '../../src/sim/index.ts';

const r = (key: string, value: TxnValue): TxnOp => ({ kind: 'read', key, value });
const w = (key: string, value: TxnValue): TxnOp => ({ kind: 'write', key, value });
const T = (id: number, ...ops: TxnOp[]): Transaction => ({ id, status: 'committed', ops });
const aborted = (id: number, ...ops: TxnOp[]): Transaction => ({ id, status: 'aborted', ops });

function verdict(history: TransactionHistory, isolation: Isolation) {
  const result = checkTransactions(history, isolation);
  return result.ok ? 'ok' : result.anomaly;
}

function failure(history: TransactionHistory, isolation: Isolation) {
  const result = checkTransactions(history, isolation);
  if (result.ok) throw new Error(`expected an anomaly under ${isolation}`);
  return result;
}

/** Every cycle returned must close: each edge starts where the previous one ended. */
function expectClosed(cycle: ReadonlyArray<{ from: unknown; to: unknown }>) {
  cycle.forEach((edge, i) => expect(edge.to).toBe(cycle[(i + 1) % cycle.length]!.from));
}

const both: Isolation[] = ['serializable', 'snapshot-isolation'];

describe('anomalies forbidden under both isolation levels', () => {
  test('G0 dirty write (Adya H_wcycle: w1(x1) w2(x2) w2(y2) c2 w1(y1) c1, x1 << x2, y2 << y1)', () => {
    const history: TransactionHistory = {
      transactions: [T(1, w('x', 1), w('y', 1)), T(2, w('x', 2), w('y', 2))],
      versionOrder: { x: [1, 2], y: [2, 1] },
    };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('G0');
      expect(result.cycle.map((e) => e.kind)).toEqual(['ww', 'ww']);
      expectClosed(result.cycle);
      expect(result.story).toContain('T1 wrote x=1; T2 overwrote it with x=2');
      expect(result.story).toContain('T2 wrote y=2; T1 overwrote it with y=1');
    }
  });

  test('G1a aborted read (Adya H_1a: w1(x1) r2(x1) a1 c2)', () => {
    const history = { transactions: [aborted(1, w('x', 1)), T(2, r('x', 1))] };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('G1a');
      expect(result.transactions).toEqual([1, 2]);
      expect(result.story).toContain('T1 wrote x=1 and aborted; T2 read x=1 and committed');
    }
  });

  test('G1b intermediate read (Adya H_1b: w1(x1:i) r2(x1:i) w1(x1) c1 c2)', () => {
    const history = { transactions: [T(1, w('x', 'draft'), w('x', 'final')), T(2, r('x', 'draft'))] };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('G1b');
      expect(result.story).toContain("T2 read the intermediate x='draft'");
    }
  });

  test('G1c circular information flow (Adya H_1c: w1(x1) w2(y2) r1(y2) r2(x1) c1 c2)', () => {
    const history = { transactions: [T(1, w('x', 1), r('y', 2)), T(2, w('y', 2), r('x', 1))] };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('G1c');
      expect(result.cycle.map((e) => e.kind)).toEqual(['wr', 'wr']);
      expectClosed(result.cycle);
      expect(result.story).toMatch(/T2 read y=2 written by T1|T1 read y=2 written by T2/);
    }
  });

  test('G1c through a write-write and a write-read edge (Elle: T1 wrote x before T2 did, and read T2\'s y)', () => {
    const history = { transactions: [T(1, w('x', 1), r('y', 2)), T(2, w('x', 2), w('y', 2))], versionOrder: { x: [1, 2], y: [2] } };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('G1c');
      expect(result.cycle.map((e) => e.kind).sort()).toEqual(['wr', 'ww']);
      expect(result.story).toContain('T1 wrote x=1; T2 overwrote it with x=2');
      expect(result.story).toContain('T1 read y=2 written by T2');
      expect(result.story).toContain(isolation === 'serializable' ? 'which serializability forbids' : 'which snapshot isolation forbids');
    }
  });

  test('lost update (Berenson P4: r1(x=0) r2(x=0) w1(x=1) w2(x=2) c1 c2)', () => {
    const history = { transactions: [T(1, r('x', 0), w('x', 1)), T(2, r('x', 0), w('x', 2))], initialValue: 0 };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('lost-update');
      expect(result.transactions).toEqual([1, 2]);
      expect(result.story).toContain('T1 and T2 both read x=0 (the initial value) and both wrote x');
    }
  });

  test('G-single read skew (Berenson A5A, Adya H_single: r1(x0=50) w2(x=10) w2(y=90) c2 r1(y=90) c1)', () => {
    const history = {
      transactions: [T(2, w('x', 10), w('y', 90)), T(1, r('x', 50), r('y', 90))],
      initialValue: 50,
    };
    for (const isolation of both) {
      const result = failure(history, isolation);
      expect(result.anomaly).toBe('G-single');
      expect(result.cycle.map((e) => e.kind).sort()).toEqual(['rw', 'wr']);
      expectClosed(result.cycle);
      expect(result.story).toContain('T1 read x=50 (the initial value); T2 wrote the next version, x=10, which T1 did not see');
      expect(result.story).toContain('T1 read y=90 written by T2');
    }
  });

  test('G-single: a fuzzy (non-repeatable) read of one key', () => {
    const history = { transactions: [T(2, w('x', 1)), T(1, r('x', undefined), r('x', 1))] };
    for (const isolation of both) expect(verdict(history, isolation)).toBe('G-single');
  });

  test('a read of a value no transaction wrote, and a read that misses its own write', () => {
    for (const isolation of both) {
      expect(verdict({ transactions: [T(1, w('x', 1)), T(2, r('x', 7))] }, isolation)).toBe('garbage-read');
      expect(verdict({ transactions: [T(1, w('x', 1), r('x', undefined))] }, isolation)).toBe('internal');
      expect(failure({ transactions: [T(1, w('x', 1), r('x', undefined))] }, isolation).story).toContain('T1 wrote x=1, then read x=undefined');
    }
  });
});

describe('write skew: G2 is forbidden only under serializable', () => {
  // Berenson A5B: both read x and y, each writes one of them; x + y > 0 no longer holds.
  const writeSkew: TransactionHistory = {
    transactions: [T(1, r('x', 50), r('y', 50), w('x', -40)), T(2, r('x', 50), r('y', 50), w('y', -40))],
    initialValue: 50,
  };

  test('serializable: G2, a cycle of two anti-dependencies, told as a story', () => {
    const result = failure(writeSkew, 'serializable');
    expect(result.anomaly).toBe('G2');
    expect(result.name).toBe('G2 (write skew)');
    expect(result.cycle.map((e) => e.kind)).toEqual(['rw', 'rw']);
    expectClosed(result.cycle);
    expect(result.story).toContain('T1 read y=50 (the initial value); T2 wrote the next version, y=-40, which T1 did not see');
    expect(result.story).toContain('T2 read x=50 (the initial value); T1 wrote the next version, x=-40, which T2 did not see');
    expect(result.story).toContain('T1 → T2 → T1');
  });

  test('snapshot isolation allows it', () => {
    expect(checkTransactions(writeSkew, 'snapshot-isolation')).toMatchObject({ ok: true, committed: 2 });
  });

  test('a three-transaction anti-dependency cycle (Fekete et al.\'s read-only anomaly shape) is G2', () => {
    // T1 reads x, writes y; T2 reads y, writes z; T3 reads z, writes x: each missed the next one's write.
    const history = { transactions: [T(1, r('x', 0), w('y', 1)), T(2, r('y', 0), w('z', 2)), T(3, r('z', 0), w('x', 3))], initialValue: 0 };
    expect(verdict(history, 'serializable')).toBe('G2');
    expect(verdict(history, 'snapshot-isolation')).toBe('ok');
  });
});

describe('G-nonadjacent: a cycle whose anti-dependencies never follow each other', () => {
  // T1 missed T2's a, T2's b reached T3, T3 missed T4's c, T4's d reached T1. Under snapshot
  // isolation T2 committed before T3 began, T3 began before T4 committed, T4 committed before T1
  // began, and T1 began before T2 committed: a loop in time, so no snapshots explain it.
  const history: TransactionHistory = {
    transactions: [T(2, w('a', 2), w('b', 2)), T(4, w('c', 4), w('d', 4)), T(3, r('b', 2), r('c', 0)), T(1, r('a', 0), r('d', 4))],
    initialValue: 0,
  };

  test('snapshot isolation forbids it, and the story tells the four edges', () => {
    const result = failure(history, 'snapshot-isolation');
    expect(result.anomaly).toBe('G-nonadjacent');
    expect(result.cycle.map((e) => e.kind).join(' ')).toMatch(/^(rw wr rw wr|wr rw wr rw)$/);
    expectClosed(result.cycle);
    expect(result.story).toContain('T1 read a=0 (the initial value); T2 wrote the next version, a=2, which T1 did not see');
    expect(result.story).toContain('T3 read b=2 written by T2');
  });

  test('serializable calls it G2', () => {
    expect(verdict(history, 'serializable')).toBe('G2');
  });

  test('two adjacent anti-dependencies in a longer cycle are allowed under snapshot isolation', () => {
    // T1 missed T2's x, T2 missed T3's y, T1 read T3's z: T1 -rw-> T2 -rw-> T3 -wr-> T1. Snapshots
    // explain it: T2 begins, T3 commits, T1 begins, T2 commits, T1 commits.
    const allowed = { transactions: [T(3, w('y', 3), w('z', 3)), T(2, r('y', 0), w('x', 2)), T(1, r('x', 0), r('z', 3))], initialValue: 0 };
    expect(verdict(allowed, 'snapshot-isolation')).toBe('ok');
    expect(verdict(allowed, 'serializable')).toBe('G2');
  });
});

describe('histories without anomalies', () => {
  test('a serial bank transfer and a concurrent snapshot read of the state before it', () => {
    const history = {
      transactions: [
        T(1, w('a', 100), w('b', 0)),
        T(3, r('a', 100), r('b', 0)), // a snapshot taken before T2 commits: it sees both old balances
        T(2, r('a', 100), r('b', 0), w('a', 60), w('b', 40)),
        T(4, r('a', 60), r('b', 40)),
      ],
    };
    for (const isolation of both) expect(checkTransactions(history, isolation)).toMatchObject({ ok: true, committed: 4 });
  });

  test('aborted transactions leave no edge; reads of the initial value and of own writes are fine', () => {
    const history = {
      transactions: [
        aborted(1, r('x', undefined), w('x', 'lost')),
        T(2, r('x', undefined), w('x', 'kept'), r('x', 'kept')),
        T(3, r('x', 'kept')),
      ],
    };
    for (const isolation of both) expect(verdict(history, isolation)).toBe('ok');
  });

  test('string ids, an explicit version order (a Map) and bigint values', () => {
    const history: TransactionHistory = {
      transactions: [
        { id: 'Zoë', status: 'committed', ops: [w('k', 2n)] },
        { id: 'bob', status: 'committed', ops: [w('k', 1n)] },
        { id: 'ñ3', status: 'committed', ops: [r('k', 2n)] },
      ],
      versionOrder: new Map([['k', [1n, 2n]]]),
    };
    for (const isolation of both) expect(verdict(history, isolation)).toBe('ok');
    // With the opposite order (Zoë's 2n overwritten by bob's 1n), ñ3 read the older version: serializable too.
    expect(verdict({ ...history, versionOrder: { k: [2n, 1n] } }, 'serializable')).toBe('ok');
  });
});

describe('the smallest cycle and the order of checks', () => {
  test('with a cycle of five and one of two, the one of two is told', () => {
    // A G1c ring T1 → T2 → … → T5 → T1 through keys k1..k5, and a G1c pair T6 ⇄ T7.
    const ring = [1, 2, 3, 4, 5].map((i) => T(i, w(`k${i}`, i), r(`k${i === 1 ? 5 : i - 1}`, i === 1 ? 5 : i - 1)));
    const pair = [T(6, w('p', 6), r('q', 7)), T(7, w('q', 7), r('p', 6))];
    const result = failure({ transactions: [...ring, ...pair] }, 'serializable');
    expect(result.anomaly).toBe('G1c');
    expect([...result.transactions].sort()).toEqual([6, 7]);
    const ringOnly = failure({ transactions: ring }, 'snapshot-isolation');
    expect(ringOnly.cycle).toHaveLength(5);
    expectClosed(ringOnly.cycle);
  });

  test('a G-single found behind a long chain is the shortest one', () => {
    // T0 read x before T1 wrote it; T1 → T2 → T3 → T0 by wr edges on y, z, u; also T0 read v written by T1 directly.
    const history = {
      transactions: [
        T(1, w('x', 1), w('y', 1), w('v', 1)),
        T(2, r('y', 1), w('z', 2)),
        T(3, r('z', 2), w('u', 3)),
        T(0, r('x', undefined), r('u', 3), r('v', 1)),
      ],
    };
    const result = failure(history, 'snapshot-isolation');
    expect(result.anomaly).toBe('G-single');
    expect(result.cycle).toHaveLength(2);
  });
});

describe('malformed histories are the test author\'s mistake, said as such', () => {
  test('a value written twice, a version order that leaves out a committed write, two transactions with one id', () => {
    expect(() => checkTransactions({ transactions: [T(1, w('x', 1)), T(2, w('x', 1))] }, 'serializable')).toThrow(/unique value/);
    expect(() => checkTransactions({ transactions: [T(1, w('x', 1)), T(2, w('x', 2))], versionOrder: { x: [2] } }, 'serializable')).toThrow(/leaves out T1's committed write 1/);
    expect(() => checkTransactions({ transactions: [T(1, w('x', 1))], versionOrder: { x: [1, 9] } }, 'serializable')).toThrow(/9 which no committed transaction installed/);
    expect(() => checkTransactions({ transactions: [T(1), T(1)] }, 'serializable')).toThrow(/two transactions have the id 1/);
    expect(() => checkTransactions({ transactions: [] }, 'read-committed' as Isolation)).toThrow(/isolation must be/);
  });
});

// ── generated executions ─────────────────────────────────────────────────────────────────────

type Step = { key: string; write: boolean };
const keys = ['x', 'y', 'z'];
const txnArb = fc.record({
  steps: fc.array(fc.record({ key: fc.constantFrom(...keys), write: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  abort: fc.boolean(),
});

/** Runs transactions one after another on a map; each write writes a fresh value. */
function serialExecution(txns: ReadonlyArray<{ steps: Step[]; abort: boolean }>): TransactionHistory {
  const store = new Map<string, number>();
  let fresh = 0;
  const transactions = txns.map(({ steps, abort }, id): Transaction => {
    const local = new Map(store);
    const ops = steps.map(({ key, write }): TxnOp => {
      if (!write) return r(key, local.get(key));
      local.set(key, ++fresh);
      return w(key, fresh);
    });
    if (!abort) for (const [k, v] of local) store.set(k, v);
    return { id, status: abort ? 'aborted' : 'committed', ops };
  });
  return { transactions };
}

/**
 * Interleaves transactions over a tiny multi-version store that is snapshot-isolated by construction
 * (snapshot at begin, own writes visible, first committer wins); lists them in commit order.
 */
function snapshotExecution(txns: ReadonlyArray<{ steps: Step[]; abort: boolean }>, schedule: number[]): TransactionHistory {
  const committed: Array<{ at: number; writes: Map<string, number> }> = [];
  let clock = 0;
  let fresh = 0;
  const state = txns.map((t, id) => ({ id, ...t, next: -1, start: 0, writes: new Map<string, number>(), ops: [] as TxnOp[], done: false, status: 'aborted' as 'committed' | 'aborted', commitAt: 0 }));
  const valueAt = (key: string, at: number) => {
    let value: number | undefined;
    for (const c of committed) if (c.at <= at && c.writes.has(key)) value = c.writes.get(key);
    return value;
  };
  for (let i = 0; state.some((s) => !s.done); i++) {
    const live = state.filter((s) => !s.done);
    const s = live[(schedule[i % Math.max(1, schedule.length)] ?? 0) % live.length]!;
    if (s.next === -1) { s.start = clock; s.next = 0; continue; }
    const step = s.steps[s.next];
    if (step) {
      s.next++;
      if (step.write) { s.writes.set(step.key, ++fresh); s.ops.push(w(step.key, fresh)); }
      else s.ops.push(r(step.key, s.writes.has(step.key) ? s.writes.get(step.key) : valueAt(step.key, s.start)));
      continue;
    }
    s.done = true;
    const conflict = committed.some((c) => c.at > s.start && [...s.writes.keys()].some((k) => c.writes.has(k)));
    if (s.abort || conflict) continue;
    s.status = 'committed';
    s.commitAt = ++clock;
    committed.push({ at: clock, writes: s.writes });
  }
  const order = [...state].sort((a, b) => (a.status === b.status ? a.commitAt - b.commitAt : a.status === 'committed' ? -1 : 1));
  return { transactions: order.map((s) => ({ id: s.id, status: s.status, ops: s.ops })) };
}

describe('generated executions', () => {
  test('a serial execution is always ok, under both levels', () => {
    fc.assert(fc.property(fc.array(txnArb, { maxLength: 12 }), (txns) => {
      const history = serialExecution(txns);
      for (const isolation of both) expect(checkTransactions(history, isolation)).toMatchObject({ ok: true });
    }), { seed: 13, numRuns: 300 });
  });

  test('a snapshot-isolated execution is always ok under snapshot isolation, and any anomaly it has under serializable is G2 with a closed cycle', () => {
    let writeSkews = 0;
    fc.assert(fc.property(fc.array(txnArb, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(20), { minLength: 1, maxLength: 60 }), (txns, schedule) => {
      const history = snapshotExecution(txns, schedule);
      expect(checkTransactions(history, 'snapshot-isolation')).toMatchObject({ ok: true });
      const strict = checkTransactions(history, 'serializable');
      if (!strict.ok) {
        expect(strict.anomaly).toBe('G2');
        expectClosed(strict.cycle);
        writeSkews++;
      }
    }), { seed: 12, numRuns: 500 });
    expect(writeSkews).toBeGreaterThan(5); // the generator does reach write skew
  });
});

// ── the checker against brute force ──────────────────────────────────────────────────────────

/**
 * Serializable by brute force: some order of the committed transactions, replayed one after another
 * on a map, gives every read the value it returned and installs each key's versions in the history's
 * order (the transactions' order: they are listed in commit order).
 */
function serializableByBruteForce(history: TransactionHistory): boolean {
  const committed = history.transactions.filter((t) => t.status === 'committed');
  const installs = (order: readonly Transaction[]) => {
    const byKey = new Map<string, TxnValue[]>();
    for (const t of order) {
      const last = new Map<string, TxnValue>();
      for (const op of t.ops) if (op.kind === 'write') last.set(op.key, op.value);
      for (const [k, v] of last) byKey.set(k, [...(byKey.get(k) ?? []), v]);
    }
    return JSON.stringify([...byKey].sort(([a], [b]) => a.localeCompare(b)));
  };
  const wanted = installs(committed);
  const replays = (order: readonly Transaction[]) => {
    const store = new Map<string, TxnValue>();
    for (const t of order) {
      const local = new Map(store);
      for (const op of t.ops) {
        if (op.kind === 'write') local.set(op.key, op.value);
        else if ((local.has(op.key) ? local.get(op.key) : history.initialValue) !== op.value) return false;
      }
      for (const [k, v] of local) store.set(k, v);
    }
    return installs(order) === wanted;
  };
  const permute = (rest: Transaction[], prefix: Transaction[]): boolean =>
    rest.length === 0 ? replays(prefix) : rest.some((t, i) => permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...prefix, t]));
  return permute(committed, []);
}

/** Interleaves transactions over a store with no isolation: writes land in one shared map at once, reads read it. */
function dirtyExecution(txns: ReadonlyArray<{ steps: Step[]; abort: boolean }>, schedule: number[], readCommitted: boolean): TransactionHistory {
  const shared = new Map<string, number>();
  const committedStore = new Map<string, number>();
  let fresh = 0;
  const state = txns.map((t, id) => ({ id, ...t, next: 0, ops: [] as TxnOp[], own: new Map<string, number>(), done: false, status: 'aborted' as 'committed' | 'aborted' }));
  const order: typeof state = [];
  for (let i = 0; state.some((s) => !s.done); i++) {
    const live = state.filter((s) => !s.done);
    const s = live[(schedule[i % schedule.length] ?? 0) % live.length]!;
    const step = s.steps[s.next++];
    if (step?.write) { s.own.set(step.key, ++fresh); shared.set(step.key, fresh); s.ops.push(w(step.key, fresh)); continue; }
    if (step) { s.ops.push(r(step.key, s.own.has(step.key) ? s.own.get(step.key) : (readCommitted ? committedStore : shared).get(step.key))); continue; }
    s.done = true;
    if (s.abort) { order.push(s); continue; }
    s.status = 'committed';
    for (const [k, v] of s.own) committedStore.set(k, v);
    order.push(s);
  }
  const sorted = [...order.filter((s) => s.status === 'committed'), ...order.filter((s) => s.status === 'aborted')];
  return { transactions: sorted.map((s) => ({ id: s.id, status: s.status, ops: s.ops })) };
}

test('serializable exactly when brute force finds a serial order (executions with no isolation, or read committed)', () => {
  const seen = { ok: 0, anomaly: 0 };
  fc.assert(fc.property(
    fc.array(txnArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(20), { minLength: 1, maxLength: 40 }), fc.boolean(),
    (txns, schedule, readCommitted) => {
      const history = dirtyExecution(txns, schedule, readCommitted);
      const result = checkTransactions(history, 'serializable');
      expect(result.ok).toBe(serializableByBruteForce(history));
      if (result.ok) seen.ok++;
      else { seen.anomaly++; expectClosed(result.cycle); }
    },
  ), { seed: 7, numRuns: 400 });
  expect(seen.ok).toBeGreaterThan(50);
  expect(seen.anomaly).toBeGreaterThan(50);
});
