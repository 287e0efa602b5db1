import fc from 'fast-check';

/** The cache under test (the contract is in the statement). */
export interface Cache {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): boolean;
  size(): number;
}

export interface CacheOptions {
  /** How many live entries the cache holds at most: an integer of at least 1. */
  capacity: number;
  /** How long an entry lives after it was set, in ms: an integer of at least 1. */
  ttlMs: number;
  /** The cache's clock, in ms; it calls it once per operation. */
  now: () => number;
}

export type MakeCache = (options: CacheOptions) => Cache;

/** Named fast-check properties: `{ 'name': fc.property(…) }`. */
export type CacheProperties = Record<string, fc.IRawProperty<any>>;

type Op =
  | { kind: 'set'; key: string; value: number }
  | { kind: 'get'; key: string }
  | { kind: 'delete'; key: string }
  | { kind: 'size' }
  | { kind: 'wait'; ms: number };

// Few keys, so that they repeat: overwrites, hits and evictions happen in every run.
const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
// Small caches fill up quickly; capacity 1 is an edge of its own.
const capacity = fc.integer({ min: 1, max: 4 });
// For properties that need two entries to fit.
const roomForTwo = fc.integer({ min: 2, max: 4 });
const ttlMs = fc.integer({ min: 1, max: 20 });
// Mostly short waits, so that the cache fills up; now and then one past any ttlMs. Whole ms land
// exactly on expiry times.
const wait = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 25 }), weight: 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: 9 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('get' as const), key }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), key }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('size' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: wait }), weight: 2 },
);
// Long enough lists to fill a cache, overwrite, read and wait in one run (fast-check's default
// size would keep them under 10 operations).
const ops = fc.array(op, { maxLength: 50, size: 'max' });

/** The contract written as plainly as possible: a list in recency order, least recent first. */
class Model {
  entries: Array<{ key: string; value: unknown; expiresAt: number }> = [];
  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {}
  private expire(now: number): void {
    this.entries = this.entries.filter((e) => now < e.expiresAt);
  }
  private take(key: string) {
    const i = this.entries.findIndex((e) => e.key === key);
    return i < 0 ? undefined : this.entries.splice(i, 1)[0];
  }
  get(key: string, now: number): unknown {
    this.expire(now);
    const entry = this.take(key);
    if (entry) this.entries.push(entry);
    return entry?.value;
  }
  set(key: string, value: unknown, now: number): void {
    this.expire(now);
    if (!this.take(key) && this.entries.length === this.capacity) this.entries.shift();
    this.entries.push({ key, value, expiresAt: now + this.ttlMs });
  }
  delete(key: string, now: number): boolean {
    this.expire(now);
    return this.take(key) !== undefined;
  }
  size(now: number): number {
    this.expire(now);
    return this.entries.length;
  }
}

const describeOp = (o: Op) => (o.kind === 'set' ? `set('${o.key}', ${o.value})` : o.kind === 'wait' ? `wait ${o.ms} ms` : o.kind === 'size' ? 'size()' : `${o.kind}('${o.key}')`);

export function cacheProperties(makeCache: MakeCache): CacheProperties {
  return {
    // One property that compares every answer with the model catches any departure from the contract.
    'answers every operation as the model does': fc.property(capacity, ttlMs, ops, (capacity, ttlMs, ops) => {
      let time = 0;
      const cache = makeCache({ capacity, ttlMs, now: () => time });
      const model = new Model(capacity, ttlMs);
      const done: string[] = [];
      for (const o of ops) {
        done.push(describeOp(o));
        let actual: unknown;
        let expected: unknown;
        if (o.kind === 'wait') {
          time += o.ms;
          continue;
        } else if (o.kind === 'set') {
          cache.set(o.key, o.value);
          model.set(o.key, o.value, time);
          continue;
        } else if (o.kind === 'get') {
          [actual, expected] = [cache.get(o.key), model.get(o.key, time)];
        } else if (o.kind === 'delete') {
          [actual, expected] = [cache.delete(o.key), model.delete(o.key, time)];
        } else {
          [actual, expected] = [cache.size(), model.size(time)];
        }
        if (actual !== expected) {
          throw new Error(`capacity ${capacity}, ttlMs ${ttlMs}: ${done.join(', ')} answered ${String(actual)}; the contract says ${String(expected)}`);
        }
      }
    }),

    // The edge of expiry, in every run: there 1 ms before ttlMs, gone at exactly ttlMs, for get(),
    // size() and delete() alike. Two entries: one that delete() looks at, one that size() counts.
    'an entry lives exactly ttlMs': fc.property(roomForTwo, ttlMs, fc.integer({ min: 0, max: 1_000 }), (capacity, ttlMs, start) => {
      let time = start;
      const cache = makeCache({ capacity, ttlMs, now: () => time });
      cache.set('x', 'x');
      cache.set('y', 'y');
      time += ttlMs - 1;
      const [sizeBefore, before] = [cache.size(), cache.get('x')];
      if (sizeBefore !== 2 || before !== 'x') throw new Error(`${ttlMs - 1} ms after two set() calls, size() is ${sizeBefore} and get('x') ${String(before)}; ttlMs is ${ttlMs}`);
      time += 1;
      const [deleted, sizeAfter, after] = [cache.delete('y'), cache.size(), cache.get('x')];
      if (deleted || sizeAfter !== 0 || after !== undefined) {
        throw new Error(`exactly ${ttlMs} ms (ttlMs) after set('x') and set('y'), delete('y') is ${deleted}, then size() ${sizeAfter} and get('x') ${String(after)}; expected false, 0, undefined`);
      }
    }),

    // Overwriting restarts the lifetime: the new value outlives the old one's expiry.
    'set() on a live key restarts its ttlMs': fc.property(capacity, ttlMs, key, fc.integer({ min: 1, max: 19 }), (capacity, ttlMs, k, gap) => {
      fc.pre(gap < ttlMs);
      let time = 0;
      const cache = makeCache({ capacity, ttlMs, now: () => time });
      cache.set(k, 'old');
      time += gap;
      cache.set(k, 'new');
      time += ttlMs - 1;
      const got = cache.get(k);
      if (got !== 'new') throw new Error(`set('${k}') at 0 and again at ${gap}; get('${k}') at ${time} returned ${String(got)}; expected 'new' (ttlMs ${ttlMs})`);
    }),

    // An expired entry frees its slot, even when it was read more recently than the live ones.
    'an expired entry never pushes out a live one': fc.property(
      roomForTwo,
      ttlMs,
      fc.integer({ min: 1, max: 19 }),
      (capacity, ttlMs, gap) => {
        fc.pre(gap < ttlMs);
        let time = 0;
        const cache = makeCache({ capacity, ttlMs, now: () => time });
        cache.set('old', 0);
        time = gap;
        const others = Array.from({ length: capacity - 1 }, (_, i) => `k${i}`);
        for (const k of others) cache.set(k, k);
        cache.get('old'); // now the most recently used, and the first to expire
        time = ttlMs;
        cache.set('new', 'new');
        for (const k of [...others, 'new']) {
          const got = cache.get(k);
          if (got !== (k === 'new' ? 'new' : k)) throw new Error(`get('${k}') returned ${String(got)} after 'old' expired and 'new' was set (capacity ${capacity})`);
        }
      },
    ),

    // Whatever was read or overwritten last, a full cache evicts the entry used longest ago.
    'a full cache evicts the least recently used entry': fc.property(
      capacity,
      fc.array(fc.record({ index: fc.nat(3), read: fc.boolean() }), { maxLength: 8 }),
      (capacity, touches) => {
        const cache = makeCache({ capacity, ttlMs: 1_000, now: () => 0 });
        const order = Array.from({ length: capacity }, (_, i) => `k${i}`); // least recently used first
        for (const k of order) cache.set(k, k);
        const used: string[] = [];
        for (const { index, read } of touches) {
          const k = order[index % capacity]!;
          if (read) cache.get(k);
          else cache.set(k, k);
          used.push(`${read ? 'get' : 'set'}('${k}')`);
          order.splice(order.indexOf(k), 1);
          order.push(k);
        }
        cache.set('new', 'new');
        const [evicted, ...kept] = order;
        const story = `capacity ${capacity}, filled with ${capacity} keys, then ${used.join(', ') || 'nothing'}, then set('new')`;
        if (cache.get(evicted!) !== undefined) throw new Error(`${story}: '${evicted}' is still there; it was the least recently used`);
        for (const k of [...kept, 'new']) {
          if (cache.get(k) === undefined) throw new Error(`${story}: '${k}' was evicted; the least recently used was '${evicted}'`);
        }
      },
    ),

    // Filling the cache with distinct keys: it keeps exactly the last `capacity` of them.
    'keeps the last capacity keys set': fc.property(capacity, ttlMs, fc.uniqueArray(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 8 }), (capacity, ttlMs, keys) => {
      const cache = makeCache({ capacity, ttlMs, now: () => 0 });
      for (const k of keys) cache.set(k, k);
      const kept = keys.slice(-capacity);
      if (cache.size() !== kept.length) throw new Error(`after setting ${keys.length} distinct keys, size() is ${cache.size()}; expected ${kept.length}`);
      for (const k of keys) {
        const [got, expected] = [cache.get(k), kept.includes(k) ? k : undefined];
        if (got !== expected) throw new Error(`get('${k}') returned ${String(got)}; expected ${String(expected)}`);
      }
    }),
  };
}
