/**
 * Porcupine's labelled histories (../shared/porcupine, copied from its repository with its licence):
 * Jepsen's etcd register logs and 6.824-style key-value logs, parsed into learn-ds operations the way
 * porcupine_test.go parses them, and the expected answer of each from its tests. The checker is held
 * to labels it did not produce.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model, Operation, RegisterInput, RegisterOutput } from '../../src/sim/index.ts';
import { registerModel } from '../../src/sim/index.ts';

/** Beside the repository, as the workplace lays it out (CI gets a copy there too). */
export const porcupineDir = join(import.meta.dirname, '..', '..', '..', 'shared', 'porcupine');
export const havePorcupine = existsSync(join(porcupineDir, 'porcupine_test.go'));

/** Event order is time: each line is one instant, so calls and returns keep the log's order. */
class Builder<I, O> {
  readonly ops: Operation<I, O>[] = [];
  readonly #open = new Map<string, Operation<I, O>>();
  #time = 0;
  call(client: string, input: I): void {
    const op: Operation<I, O> = { id: this.ops.length, client, input, output: undefined, callTime: this.#time++, returnTime: Infinity };
    this.ops.push(op);
    this.#open.set(client, op);
  }
  ret(client: string, output: O | undefined): void {
    const op = this.#open.get(client);
    if (!op) return;
    this.#open.delete(client);
    op.output = output;
    op.returnTime = this.#time++;
  }
  /** Operations that never returned get a return after everything, as porcupine_test.go does. */
  finish(output: (op: Operation<I, O>) => O | undefined): Operation<I, O>[] {
    for (const [client, op] of this.#open) this.ret(client, output(op));
    return this.ops;
  }
}

export type EtcdOp = Operation<RegisterInput<number | null>, RegisterOutput<number | null>>;

export function parseJepsen(n: number): EtcdOp[] {
  const text = readFileSync(join(porcupineDir, 'test_data', 'jepsen', `etcd_${String(n).padStart(3, '0')}.log`), 'utf8');
  const b = new Builder<RegisterInput<number | null>, RegisterOutput<number | null>>();
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:invoke\s+:read\s+nil$/.exec(line))) b.call(m[1]!, { kind: 'read' });
    else if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:invoke\s+:write\s+(\d+)$/.exec(line))) b.call(m[1]!, { kind: 'write', value: Number(m[2]) });
    else if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:invoke\s+:cas\s+\[(\d+)\s+(\d+)\]$/.exec(line))) b.call(m[1]!, { kind: 'cas', from: Number(m[2]), to: Number(m[3]) });
    else if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:ok\s+:read\s+(nil|\d+)$/.exec(line))) b.ret(m[1]!, m[2] === 'nil' ? null : Number(m[2]));
    else if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:ok\s+:write\s+(\d+)$/.exec(line))) b.ret(m[1]!, undefined);
    else if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(ok|fail)\s+:cas\s+\[(\d+)\s+(\d+)\]$/.exec(line))) b.ret(m[1]!, m[2] === 'ok');
    else if ((m = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:fail\s+:read\s+:timed-out$/.exec(line))) b.ret(m[1]!, undefined);
  }
  // An operation with no answer may or may not have happened: its output is unknown.
  return b.finish(() => undefined);
}

/** etcd as a register that starts empty (nil). */
export const etcdModel = registerModel<number | null>(null);

export type KvAppendInput = { kind: 'get' | 'put' | 'append'; key: string; value: string };
export type KvAppendOp = Operation<KvAppendInput, string>;

export function parseKv(name: string): KvAppendOp[] {
  const text = readFileSync(join(porcupineDir, 'test_data', 'kv', `${name}.txt`), 'utf8');
  const b = new Builder<KvAppendInput, string>();
  for (const line of text.split('\n')) {
    const m = /^\{:process (\d+), :type :(invoke|ok), :f :(get|put|append), :key "(.*?)", :value (nil|"(.*)")\}$/.exec(line);
    if (!m) continue;
    const [, client, type, f, key, , value] = m;
    if (type === 'invoke') b.call(client!, { kind: f as KvAppendInput['kind'], key: key!, value: value ?? '' });
    else b.ret(client!, f === 'get' ? value ?? '' : '');
  }
  // porcupine_test.go gives an unanswered operation an empty output.
  return b.finish(() => '');
}

/**
 * 6.824's key-value store with append. Partitioned: one string register per key, checked apart.
 * Not partitioned: the whole store is one state (porcupine_test.go's kvNoPartitionModel), a far
 * larger search that the checker must still answer.
 */
export function kvAppendModel(partitioned: boolean): Model<any, KvAppendInput, string> {
  return partitioned ? kvPerKeyModel : kvWholeModel;
}

const describe = (op: KvAppendOp) => `${op.input.kind} ${op.input.key} ${op.input.kind === 'get' ? `→ ${op.output ?? '?'}` : JSON.stringify(op.input.value)}`;
const apply = (value: string, input: KvAppendInput) => (input.kind === 'put' ? input.value : value + input.value);
const canonical = (s: Readonly<Record<string, string>>) => JSON.stringify(Object.keys(s).sort().map((k) => [k, s[k]]));

const kvPerKeyModel: Model<string, KvAppendInput, string> = {
  init: () => '',
  step: (state, input, output) =>
    input.kind === 'get' ? { ok: output === undefined || output === state, state } : { ok: true, state: apply(state, input) },
  hash: (s) => s,
  partition(ops) {
    const byKey = new Map<string, KvAppendOp[]>();
    for (const op of ops) {
      const list = byKey.get(op.input.key);
      if (list) list.push(op);
      else byKey.set(op.input.key, [op]);
    }
    return [...byKey.values()];
  },
  describe,
};

const kvWholeModel: Model<Readonly<Record<string, string>>, KvAppendInput, string> = {
  init: () => ({}),
  step(state, input, output) {
    const value = state[input.key] ?? '';
    if (input.kind === 'get') return { ok: output === undefined || output === value, state };
    return { ok: true, state: { ...state, [input.key]: apply(value, input) } };
  },
  hash: canonical,
  equal: (a, b) => canonical(a) === canonical(b),
  describe,
};

/** The expected answer of each history, read from porcupine_test.go's own calls. */
export function labels(): { jepsen: Array<[number, boolean]>; kv: Array<[string, boolean, boolean]> } {
  const go = readFileSync(join(porcupineDir, 'porcupine_test.go'), 'utf8');
  const jepsen = [...go.matchAll(/^\tcheckJepsen\(t, (\d+), (true|false)\)$/gm)].map((m) => [Number(m[1]), m[2] === 'true'] as [number, boolean]);
  const kv = [...go.matchAll(/^\tcheckKv\(t, "([^"]+)", (true|false), (true|false)\)$/gm)].map((m) => [m[1]!, m[2] === 'true', m[3] === 'true'] as [string, boolean, boolean]);
  return { jepsen, kv };
}
