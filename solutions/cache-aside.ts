/**
 * A cache-aside local cache: an LRU of at most `capacity` entries, each fresh for a jittered TTL,
 * in front of a slow store. Concurrent misses of one key share one store load; failed loads are
 * not cached; writes go to the store first, then invalidate the key, and a load that began before
 * that invalidation never puts its (possibly stale) value into the cache.
 */

/** The slow store behind the cache (a database, a remote service). */
export interface Store<V> {
  get(key: string): Promise<V>;
  set(key: string, value: V): Promise<void>;
}

export interface CacheAsideOptions<V> {
  store: Store<V>;
  /** Most entries held at once: a whole number, at least 1. */
  capacity: number;
  /** How long a loaded value stays fresh, before jitter: a finite number > 0. */
  ttlMs: number;
  /** Fraction of ttlMs taken off at random: 0 <= jitter < 1. */
  jitter: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

interface Load<V> {
  promise: Promise<V>;
  /** Set when a write of the key completes while this load runs: what it read may be older than that write. */
  stale: boolean;
}

export class CacheAside<V> {
  readonly #store: Store<V>;
  readonly #capacity: number;
  readonly #ttlMs: number;
  readonly #jitter: number;
  /** A Map keeps insertion order: re-inserting a key on use makes its first key the least recently used. */
  readonly #entries = new Map<string, Entry<V>>();
  /** The load that later misses of a key join; a write takes it out, so later misses start a new one. */
  readonly #loads = new Map<string, Load<V>>();

  constructor(options: CacheAsideOptions<V>) {
    const { store, capacity, ttlMs, jitter } = options;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number >= 1, got ${capacity}`);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a finite number > 0, got ${ttlMs}`);
    if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`jitter must be >= 0 and < 1, got ${jitter}`);
    this.#store = store;
    this.#capacity = capacity;
    this.#ttlMs = ttlMs;
    this.#jitter = jitter;
  }

  /** The value of `key`: from the cache while fresh, otherwise from the store (one load per key at a time). */
  get(key: string): Promise<V> {
    const entry = this.#freshEntry(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      return Promise.resolve(entry.value);
    }
    const running = this.#loads.get(key);
    if (running) return running.promise;
    return this.#startLoad(key).promise;
  }

  /** Writes `value` to the store, then invalidates `key`, whether the store's write succeeded or not. */
  async set(key: string, value: V): Promise<void> {
    try {
      await this.#store.set(key, value);
    } finally {
      this.#invalidate(key);
    }
  }

  /** Whether a fresh entry for `key` is cached now; not a use, and never asks the store. */
  has(key: string): boolean {
    return this.#freshEntry(key) !== undefined;
  }

  #freshEntry(key: string): Entry<V> | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && Date.now() < entry.expiresAt ? entry : undefined;
  }

  #startLoad(key: string): Load<V> {
    const load: Load<V> = { promise: this.#store.get(key), stale: false };
    this.#loads.set(key, load);
    load.promise.then(
      (value) => {
        if (this.#loads.get(key) === load) this.#loads.delete(key);
        if (!load.stale) this.#put(key, value);
      },
      () => {
        if (this.#loads.get(key) === load) this.#loads.delete(key);
      },
    );
    return load;
  }

  #put(key: string, value: V): void {
    const ttl = this.#ttlMs * (1 - this.#jitter * Math.random());
    this.#entries.delete(key);
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expiresAt: Date.now() + ttl });
  }

  #invalidate(key: string): void {
    this.#entries.delete(key);
    // A load that started earlier was detached by an earlier write, so it is already stale.
    const running = this.#loads.get(key);
    if (running) running.stale = true;
    this.#loads.delete(key);
  }
}
