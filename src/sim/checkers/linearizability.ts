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
  | { ok: true; verdict: 'linearizable' }
  | {
      ok: false;
      /**
       * 'not-linearizable': no valid order exists. 'unknown': the search ran out of its budget
       * before deciding: never a pass, and said as such.
       */
      verdict: 'not-linearizable' | 'unknown';
      /** The partition (e.g. one key's operations) that has no linearization, or was not decided. */
      ops: Operation<I, O>[];
      /** The longest order the search could build, and the operations it could not place after it. */
      longest: Operation<I, O>[];
      stuck: Operation<I, O>[];
    };

export interface CheckOptions {
  /**
   * Search steps allowed over the whole history (default 20 million). Steps, not milliseconds, so
   * that the answer never depends on how busy the machine is.
   */
  maxSteps?: number;
}

interface Entry<I, O> {
  op: Operation<I, O>;
  /** Index of the operation in its partition; -1 for the list's head. */
  index: number;
  isCall: boolean;
  match: Entry<I, O> | undefined; // a call's return entry
  prev: Entry<I, O> | undefined;
  next: Entry<I, O> | undefined;
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Entry<I, O> {
  const events: Array<{ time: number; isCall: boolean; index: number }> = [];
  ops.forEach((op, index) => {
    events.push({ time: op.callTime, isCall: true, index }, { time: op.returnTime, isCall: false, index });
  });
  // At equal times calls go first: touching intervals count as concurrent (never a false alarm).
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? ops[a.index]!.id - ops[b.index]!.id : a.isCall ? -1 : 1));
  const head: Entry<I, O> = { op: undefined as never, index: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const calls: Array<Entry<I, O> | undefined> = new Array(ops.length);
  let tail = head;
  for (const e of events) {
    const entry: Entry<I, O> = { op: ops[e.index]!, index: e.index, isCall: e.isCall, match: undefined, prev: tail, next: undefined };
    tail.next = entry;
    tail = entry;
    if (e.isCall) calls[e.index] = entry;
    else calls[e.index]!.match = entry;
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

/**
 * The set of linearized operations, with a hash kept up to date as bits flip (Zobrist hashing:
 * each operation owns a fixed random 32-bit word, the set's hash is their XOR). The cache is keyed
 * by numbers, never by strings built at each step: that is most of the search's speed.
 */
class LinearizedSet {
  readonly words: Uint32Array;
  hash = 0;
  readonly #keys: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
    this.#keys = new Uint32Array(size);
    // A fixed xorshift stream: hashes must not depend on anything but the operation's index.
    let x = 0x9e3779b9;
    for (let i = 0; i < size; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      this.#keys[i] = x >>> 0;
    }
  }
  flip(i: number): void {
    this.words[i >>> 5]! ^= 1 << (i & 31);
    this.hash = (this.hash ^ this.#keys[i]!) >>> 0;
  }
}

/**
 * Every (linearized set, state) configuration seen, in flat arrays: bitsets side by side in one
 * growing Uint32Array, chained per numeric hash. Millions of small typed arrays and objects would
 * cost more in allocation and garbage collection than the search itself.
 */
class SeenConfigurations<S> {
  readonly #width: number;
  #bits: Uint32Array;
  #next: Int32Array;
  readonly #states: S[] = [];
  readonly #stateKeys: string[] = [];
  readonly #heads = new Map<number, number>();
  #count = 0;

  constructor(width: number) {
    this.#width = width;
    this.#bits = new Uint32Array(width * 1024);
    this.#next = new Int32Array(1024);
  }

  /** True when seen before; otherwise remembers it. */
  addIfNew(set: LinearizedSet, state: S, stateKey: string, equal: (a: S, b: S) => boolean): boolean {
    // 30 bits: small integers are Map keys V8 hashes fast; larger ones are boxed numbers.
    const key = (set.hash ^ hashString32(stateKey)) & 0x3fffffff;
    const width = this.#width;
    const words = set.words;
    const head = this.#heads.get(key);
    for (let i = head ?? -1; i >= 0; i = this.#next[i]!) {
      if (this.#stateKeys[i] !== stateKey) continue;
      let same = true;
      for (let w = 0, base = i * width; w < width; w++) {
        if (this.#bits[base + w] !== words[w]) {
          same = false;
          break;
        }
      }
      if (same && equal(this.#states[i]!, state)) return false;
    }
    const index = this.#count++;
    if (index >= this.#next.length) this.#grow();
    this.#bits.set(words, index * width);
    this.#next[index] = head ?? -1;
    this.#states.push(state);
    this.#stateKeys.push(stateKey);
    this.#heads.set(key, index);
    return true;
  }

  #grow(): void {
    const next = new Int32Array(this.#next.length * 2);
    next.set(this.#next);
    this.#next = next;
    const bits = new Uint32Array(this.#bits.length * 2);
    bits.set(this.#bits);
    this.#bits = bits;
  }
}

/**
 * One partition's search, resumable: `advance(steps)` runs at most that many steps and returns the
 * result once decided, so that partitions can take turns and a violation in one is found even
 * when another one's search is long.
 */
class PartitionSearch<S, I, O> {
  readonly #ops: Operation<I, O>[];
  readonly #model: Model<S, I, O>;
  readonly #equal: (a: S, b: S) => boolean;
  readonly #hash: (s: S) => string;
  readonly #head: Entry<I, O>;
  readonly #seen: SeenConfigurations<S>;
  readonly #linearized: LinearizedSet;
  readonly #stack: Array<{ entry: Entry<I, O>; state: S }> = [];
  #state: S;
  #entry: Entry<I, O> | undefined;
  #longest: Entry<I, O>[] = [];
  steps = 0;

  constructor(ops: Operation<I, O>[], model: Model<S, I, O>) {
    this.#ops = ops;
    this.#model = model;
    this.#equal = model.equal ?? ((a: S, b: S) => a === b);
    this.#hash = model.hash ?? ((s: S) => String(s));
    this.#head = buildList(ops);
    this.#linearized = new LinearizedSet(ops.length);
    this.#seen = new SeenConfigurations<S>(this.#linearized.words.length);
    this.#state = model.init();
    this.#entry = this.#head.next;
  }

  get ops(): Operation<I, O>[] {
    return this.#ops;
  }

  /** True when (linearized set, state) was seen before; otherwise remembers it. */
  #seenBefore(state: S): boolean {
    return !this.#seen.addIfNew(this.#linearized, state, this.#hash(state), this.#equal);
  }

  advance(maxSteps: number): LinearizabilityResult<I, O> | undefined {
    const head = this.#head;
    const stack = this.#stack;
    for (let budget = maxSteps; budget > 0; budget--) {
      this.steps++;
      const entry = this.#entry;
      if (!head.next) return { ok: true, verdict: 'linearizable' };
      if (!entry) return { ok: true, verdict: 'linearizable' }; // unreachable: the list always ends with a return
      if (entry.isCall) {
        const result = this.#model.step(this.#state, entry.op.input, entry.op.output);
        if (result.ok) {
          this.#linearized.flip(entry.index);
          if (!this.#seenBefore(result.state)) {
            stack.push({ entry, state: this.#state });
            this.#state = result.state;
            lift(entry);
            if (stack.length > this.#longest.length) this.#longest = stack.map((s) => s.entry);
            this.#entry = head.next;
            continue;
          }
          this.#linearized.flip(entry.index);
        }
        this.#entry = entry.next;
      } else {
        // A return whose call is still on the list: that operation had to come earlier. Backtrack.
        const top = stack.pop();
        if (!top) return this.failure('not-linearizable');
        this.#state = top.state;
        this.#linearized.flip(top.entry.index);
        unlift(top.entry);
        this.#entry = top.entry.next;
      }
    }
    return undefined;
  }

  failure(verdict: 'not-linearizable' | 'unknown'): Extract<LinearizabilityResult<I, O>, { ok: false }> {
    const longest = this.#longest.map((e) => e.op);
    const placed = new Set(longest);
    const stuck = verdict === 'unknown' ? [] : firstBlocked(this.#ops.filter((op) => !placed.has(op)));
    return { ok: false, verdict, ops: this.#ops, longest, stuck };
  }
}

/** FNV-1a, 32 bits: a state's key folded into the cache's numeric key. */
function hashString32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Of the operations left out of the longest order, those that returned first: the likely culprits. */
function firstBlocked<I, O>(left: Operation<I, O>[]): Operation<I, O>[] {
  const finite = left.filter((op) => Number.isFinite(op.returnTime));
  if (finite.length === 0) return left.slice(0, 3);
  const earliest = Math.min(...finite.map((op) => op.returnTime));
  return finite.filter((op) => op.callTime <= earliest).slice(0, 3);
}

/** Steps a partition runs before the next one takes its turn. */
const SLICE = 20_000;

/** The last histories checked and their models, newest last: the harness records a failing run's (verify/harness/record.ts). */
export const recentChecks: Array<{ history: readonly Operation<any, any>[]; model: Model<any, any, any> }> = [];

/**
 * Is the history linearizable under `model`? Independent partitions (keys) take turns in slices of
 * search steps, so a violation in one is found even when another's search is long; a partition
 * still undecided when the step budget is spent makes the answer 'unknown' (never a pass), unless
 * another partition was found not linearizable.
 */
export function checkLinearizable<S, I, O>(history: readonly Operation<I, O>[], model: Model<S, I, O>, options: CheckOptions = {}): LinearizabilityResult<I, O> {
  if (recentChecks.push({ history, model }) > 64) recentChecks.shift();
  const parts = model.partition ? model.partition(history) : [[...history]];
  let open = parts.filter((p) => p.length > 0).map((p) => new PartitionSearch(p, model));
  let budget = options.maxSteps ?? 20_000_000;
  while (open.length > 0) {
    const next: PartitionSearch<S, I, O>[] = [];
    for (const search of open) {
      const slice = Math.min(SLICE, budget);
      const result = search.advance(slice);
      budget -= slice;
      if (result && !result.ok) return result;
      if (!result) next.push(search);
      if (budget <= 0) break;
    }
    if (budget <= 0 && next.length > 0) {
      // Out of budget: the largest undecided partition is the one to name.
      const undecided = [...next].sort((a, b) => b.ops.length - a.ops.length)[0]!;
      return undecided.failure('unknown');
    }
    open = next;
  }
  return { ok: true, verdict: 'linearizable' };
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
  const undecided = result.verdict === 'unknown'
    ? 'the checker ran out of its search budget on these operations before deciding (too many concurrent operations to order): this is no pass\n'
    : '';
  const describe = model.describe ?? ((op: Operation<I, O>) => `${JSON.stringify(op.input)} → ${JSON.stringify(op.output)}`);
  const stuck = new Set(result.stuck);
  const order = new Map(result.longest.map((op, i) => [op, i + 1]));
  const rows = [...result.ops].sort((a, b) => a.callTime - b.callTime).slice(0, 40).map((op) => {
    const span = `[${op.callTime.toFixed(1)} – ${Number.isFinite(op.returnTime) ? op.returnTime.toFixed(1) : 'no reply'}]`;
    const mark = stuck.has(op) ? '  ✗ no valid place for this result' : order.has(op) ? `  #${order.get(op)}` : '';
    return `  ${op.client.padEnd(4)} ${span.padEnd(22)} ${describe(op)}${mark}`;
  });
  const more = result.ops.length > 40 ? `\n  … ${result.ops.length - 40} more` : '';
  return `${undecided}operations (client, [invoked – returned] in ms, what it did; #n = position in the longest valid order found):\n${rows.join('\n')}${more}`;
}

/**
 * A key-value history judged per key, told in the learner's words: undefined when it is
 * linearizable, else what is wrong (or that the search ran out of budget, never a pass) and the
 * failing key's operations. The key-value exercises (quorum-kv, chain-replication,
 * range-partitioning, kv-store) all judge their clients' gets and puts this way.
 */
export function kvLinearizabilityProblem<V>(ops: readonly Operation<KvInput<V>, RegisterOutput<V>>[], initial: V): string | undefined {
  const model = kvModel<V>(initial);
  const result = checkLinearizable(ops, model);
  if (result.ok) return undefined;
  const what = result.verdict === 'unknown'
    ? `the clients' gets and puts could not be shown linearizable (the checker's search ran out of its budget)`
    : `the clients' gets and puts are not linearizable: no order of them, consistent with when each was invoked and answered, gives every get the value it returned`;
  return `${what}\n${describeNonLinearizable(result, model)}`;
}
