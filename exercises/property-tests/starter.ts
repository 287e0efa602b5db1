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

/**
 * Your properties of the cache that `makeCache` makes. Each must hold for a cache that keeps the
 * contract, and together they must catch every wrong one.
 */
export function cacheProperties(makeCache: MakeCache): CacheProperties {
  return {
    // An example to start from. It holds for the correct cache, but it is far too weak: one key,
    // a cache that never fills, a clock that never moves. TODO: write properties that catch the
    // wrong caches the verdict lists.
    'get returns what set stored': fc.property(fc.string(), fc.integer(), (key, value) => {
      const time = 0;
      const cache = makeCache({ capacity: 10, ttlMs: 1_000, now: () => time });
      cache.set(key, value);
      return cache.get(key) === value;
    }),
  };
}
