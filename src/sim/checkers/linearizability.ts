/**
 * Linearizability checking: is there a total order of the operations, consistent with real time
 * (an operation that returned before another was invoked comes first), in which a sequential model
 * gives every operation the output it actually returned?
 *
 * Wing & Gong's search with the memoization of Lowe and of Porcupine: operations are events on a
 * doubly linked list of calls and returns; the search linearizes a call whose model step matches,
 * backtracks when it meets a return that is not yet linearized, and caches (set of linearized
 * operations, model state) pairs so that no configuration is explored twice. Histories are first
 * split into independent partitions (one per key for a key-value store).
 */
import type { Operation } from '../history.ts';

export interface Model<S, I, O> {
  init(): S;
  /** Applies `input` to `state`; ok is false when `output` is not what it would return. An unknown output (undefined) matches anything. */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  /** Equality of states, for the cache (default: ===). */
  equal?(a: S, b: S): boolean;
  /** A short key for a state, to bucket the cache (default: String(state)). */
  hash?(state: S): string;
  /** Independent parts of a history, checked separately (default: the whole history). */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** How an operation is written in explanations. */
  describe?(op: Operation<I, O>): string;
}

export type LinearizabilityResult<I, O> =
  | { ok: true }
  | {
      ok: false;
      /** The partition (e.g. one key's operations) that has no linearization. */
      ops: Operation<I, O>[];
      /** The longest order the search could build, and the operations it could not place after it. */
      longest: Operation<I, O>[];
      stuck: Operation<I, O>[];
    };

interface Entry<I, O> {
  op: Operation<I, O>;
  isCall: boolean;
  match: Entry<I, O> | undefined; // a call's return entry
  prev: Entry<I, O> | undefined;
  next: Entry<I, O> | undefined;
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Entry<I, O> {
  const events: Array<{ time: number; isCall: boolean; op: Operation<I, O> }> = [];
  for (const op of ops) {
    events.push({ time: op.callTime, isCall: true, op }, { time: op.returnTime, isCall: false, op });
  }
  // At equal times calls go first: touching intervals count as concurrent (never a false alarm).
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op.id - b.op.id : a.isCall ? -1 : 1));
  const head: Entry<I, O> = { op: undefined as never, isCall: false, match: undefined, prev: undefined, next: undefined };
  const calls = new Map<Operation<I, O>, Entry<I, O>>();
  let tail = head;
  for (const e of events) {
    const entry: Entry<I, O> = { op: e.op, isCall: e.isCall, match: undefined, prev: tail, next: undefined };
    tail.next = entry;
    tail = entry;
    if (e.isCall) calls.set(e.op, entry);
    else calls.get(e.op)!.match = entry;
  }
  return head;
}

function lift<I, O>(call: Entry<I, O>): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift<I, O>(call: Entry<I, O>): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

class Bitset {
  readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(): string {
    return this.words.join(',');
  }
}

function checkPartition<S, I, O>(ops: Operation<I, O>[], model: Model<S, I, O>): LinearizabilityResult<I, O> {
  const index = new Map(ops.map((op, i) => [op, i]));
  const head = buildList(ops);
  const equal = model.equal ?? ((a: S, b: S) => a === b);
  const hash = model.hash ?? ((s: S) => String(s));
  const cache = new Map<string, S[]>();
  const linearized = new Bitset(ops.length);
  const stack: Array<{ entry: Entry<I, O>; state: S }> = [];
  let state = model.init();
  let entry = head.next;
  let longest: Operation<I, O>[] = [];

  while (head.next) {
    if (!entry) break; // unreachable: the list always ends with a return
    if (entry.isCall) {
      const op = entry.op;
      const result = model.step(state, op.input, op.output);
      if (result.ok) {
        const i = index.get(op)!;
        linearized.set(i);
        const key = `${linearized.key()}|${hash(result.state)}`;
        const seen = cache.get(key);
        if (!seen || !seen.some((s) => equal(s, result.state))) {
          if (seen) seen.push(result.state);
          else cache.set(key, [result.state]);
          stack.push({ entry, state });
          state = result.state;
          lift(entry);
          if (stack.length > longest.length) longest = stack.map((s) => s.entry.op);
          entry = head.next;
          continue;
        }
        linearized.clear(i);
      }
      entry = entry.next;
    } else {
      // A return whose call is still on the list: that operation had to come earlier. Backtrack.
      const top = stack.pop();
      if (!top) {
        const placed = new Set(longest);
        return { ok: false, ops, longest, stuck: firstBlocked(ops.filter((op) => !placed.has(op))) };
      }
      state = top.state;
      linearized.clear(index.get(top.entry.op)!);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
}

/** Of the operations left out of the longest order, those that returned first: the likely culprits. */
function firstBlocked<I, O>(left: Operation<I, O>[]): Operation<I, O>[] {
  const finite = left.filter((op) => Number.isFinite(op.returnTime));
  if (finite.length === 0) return left.slice(0, 3);
  const earliest = Math.min(...finite.map((op) => op.returnTime));
  return finite.filter((op) => op.callTime <= earliest).slice(0, 3);
}

export function checkLinearizable<S, I, O>(history: readonly Operation<I, O>[], model: Model<S, I, O>): LinearizabilityResult<I, O> {
  const parts = model.partition ? model.partition(history) : [[...history]];
  for (const part of parts) {
    const result = checkPartition(part, model);
    if (!result.ok) return result;
  }
  return { ok: true };
}

// ── models ─────────────────────────────────────────────────────────────────────────────────

export type RegisterInput<V> = { kind: 'read' } | { kind: 'write'; value: V } | { kind: 'cas'; from: V; to: V };
/** A read's output is the value; a write's is ignored; a cas's is whether it succeeded. */
export type RegisterOutput<V> = V | boolean | undefined;

/** A single register holding `initial` until written; values compared with ===. */
export function registerModel<V>(initial: V): Model<V, RegisterInput<V>, RegisterOutput<V>> {
  return {
    init: () => initial,
    step(state, input, output) {
      switch (input.kind) {
        case 'read':
          return { ok: output === undefined || output === state, state };
        case 'write':
          return { ok: true, state: input.value };
        case 'cas': {
          const applies = state === input.from;
          return { ok: output === undefined || output === applies, state: applies ? input.to : state };
        }
      }
    },
    hash: (s) => String(s),
    describe: (op) => describeRegisterOp(op.input, op.output),
  };
}

function describeRegisterOp<V>(input: RegisterInput<V>, output: RegisterOutput<V>): string {
  const out = output === undefined ? '?' : JSON.stringify(output);
  if (input.kind === 'read') return `read → ${out}`;
  if (input.kind === 'write') return `write ${JSON.stringify(input.value)}`;
  return `cas ${JSON.stringify(input.from)}→${JSON.stringify(input.to)} → ${out}`;
}

export type KvInput<V> = RegisterInput<V> & { key: string };

/** A key-value store: one independent register per key (each starting at `initial`). */
export function kvModel<V>(initial: V): Model<V, KvInput<V>, RegisterOutput<V>> {
  const register = registerModel<V>(initial);
  return {
    ...register,
    step: (state, input, output) => register.step(state, input, output),
    partition(ops) {
      const byKey = new Map<string, Operation<KvInput<V>, RegisterOutput<V>>[]>();
      for (const op of ops) {
        const list = byKey.get(op.input.key);
        if (list) list.push(op);
        else byKey.set(op.input.key, [op]);
      }
      return [...byKey.values()];
    },
    describe: (op) => `${op.input.key}: ${describeRegisterOp(op.input, op.output)}`,
  };
}

/** The failing partition's operations in call order, with the ones that could not be placed marked. */
export function describeNonLinearizable<S, I, O>(result: Extract<LinearizabilityResult<I, O>, { ok: false }>, model: Model<S, I, O>): string {
  const describe = model.describe ?? ((op: Operation<I, O>) => `${JSON.stringify(op.input)} → ${JSON.stringify(op.output)}`);
  const stuck = new Set(result.stuck);
  const order = new Map(result.longest.map((op, i) => [op, i + 1]));
  const rows = [...result.ops].sort((a, b) => a.callTime - b.callTime).slice(0, 40).map((op) => {
    const span = `[${op.callTime.toFixed(1)} – ${Number.isFinite(op.returnTime) ? op.returnTime.toFixed(1) : 'no reply'}]`;
    const mark = stuck.has(op) ? '  ✗ no valid place for this result' : order.has(op) ? `  #${order.get(op)}` : '';
    return `  ${op.client.padEnd(4)} ${span.padEnd(22)} ${describe(op)}${mark}`;
  });
  const more = result.ops.length > 40 ? `\n  … ${result.ops.length - 40} more` : '';
  return `operations (client, [invoked – returned] in ms, what it did; #n = position in the longest valid order found):\n${rows.join('\n')}${more}`;
}
