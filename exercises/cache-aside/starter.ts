/** The slow store behind the cache (a database, a remote service). */
export interface Store<V> {
  /** The key's current value; rejects when the store fails. */
  get(key: string): Promise<V>;
  /** Writes the key's value; rejects when the store fails (the write may or may not have happened). */
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

/** A cache-aside local cache: an LRU with a jittered TTL in front of a slow store. */
export class CacheAside<V> {
  /** Throws a RangeError for invalid options. */
  constructor(options: CacheAsideOptions<V>) {
    throw new Error('TODO: write the constructor');
  }

  /** The key's value: from the cache while fresh (a use), otherwise from one store load shared by concurrent misses. */
  get(key: string): Promise<V> {
    throw new Error('TODO: write get');
  }

  /** Writes to the store, then invalidates the key, whether the store's write succeeded or failed. */
  set(key: string, value: V): Promise<void> {
    throw new Error('TODO: write set');
  }

  /** Whether a fresh entry for the key is cached now; not a use, never asks the store. */
  has(key: string): boolean {
    throw new Error('TODO: write has');
  }
}
