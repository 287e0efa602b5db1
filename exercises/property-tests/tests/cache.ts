// The component the learner's properties are judged against: an LRU cache with expiry, correct,
// and the same cache with one classic flaw each. Every version is the very same code (the flaw is a
// value captured by its closures), and every cache is a frozen object: a test file cannot tell the
// versions apart by their source, their shape or their name, only by how they behave, and it cannot
// patch them.
import type { Cache, CacheOptions, MakeCache } from 'learn-ds/subject/property-tests';

export type Flaw =
  | 'read-keeps-recency'
  | 'overwrite-keeps-recency'
  | 'evicts-newest'
  | 'holds-one-fewer'
  | 'overwrite-evicts'
  | 'overwrite-keeps-value'
  | 'overwrite-keeps-expiry'
  | 'read-extends-expiry'
  | 'expires-late'
  | 'expired-takes-slot'
  | 'size-counts-expired'
  | 'delete-reports-expired';

/** The wrong versions, each with the behaviour a verdict names when no property caught it (and a short name for the demo). */
export const WRONG_VERSIONS: ReadonlyArray<{ flaw: Flaw; short: string; behaviour: string }> = [
  { flaw: 'read-keeps-recency', short: 'get() does not refresh recency', behaviour: 'an entry read just before an eviction is still evicted first (get() does not make it the most recently used)' },
  { flaw: 'overwrite-keeps-recency', short: 'set() on a live key keeps its place', behaviour: 'an entry overwritten just before an eviction is still evicted first (set() on a live key does not make it the most recently used)' },
  { flaw: 'evicts-newest', short: 'evicts the most recently used', behaviour: 'a full cache evicts its most recently used entry instead of its least recently used one' },
  { flaw: 'holds-one-fewer', short: 'holds capacity − 1 entries', behaviour: 'the cache holds only capacity − 1 entries (it evicts as soon as it is full, not when it would overflow)' },
  { flaw: 'overwrite-evicts', short: 'overwrite in a full cache evicts', behaviour: 'overwriting a live key in a full cache evicts another entry' },
  { flaw: 'overwrite-keeps-value', short: 'overwrite keeps the old value', behaviour: 'overwriting a live key keeps its old value' },
  { flaw: 'overwrite-keeps-expiry', short: 'overwrite keeps the old expiry', behaviour: 'overwriting a live key keeps its old expiry time' },
  { flaw: 'read-extends-expiry', short: 'get() extends the life', behaviour: 'reading an entry extends its lifetime (get() restarts its ttlMs)' },
  { flaw: 'expires-late', short: 'alive at exactly ttlMs', behaviour: 'an entry is still returned at exactly ttlMs after it was set' },
  { flaw: 'expired-takes-slot', short: 'expired entries take slots', behaviour: 'an expired entry still takes up a slot, so a live entry is evicted in its place' },
  { flaw: 'size-counts-expired', short: 'size() counts expired entries', behaviour: 'size() counts expired entries' },
  { flaw: 'delete-reports-expired', short: 'delete() true when expired', behaviour: 'delete() returns true for an expired entry' },
];

interface Entry {
  value: unknown;
  expiresAt: number;
}

/** The contract's checks on the options, shared by every version. */
function validated(options: CacheOptions): CacheOptions {
  const { capacity, ttlMs, now } = options ?? ({} as CacheOptions);
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer of at least 1, got ${String(capacity)}`);
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new RangeError(`ttlMs must be an integer of at least 1, got ${String(ttlMs)}`);
  if (typeof now !== 'function') throw new TypeError(`now must be a function returning the time in ms, got ${typeof now}`);
  return { capacity, ttlMs, now };
}

function cache(options: CacheOptions, flaw: Flaw | undefined): Cache {
  const { capacity, ttlMs, now } = validated(options);
  // A Map keeps insertion order: the first key is the least recently used.
  const entries = new Map<string, Entry>();
  const live = (entry: Entry, at: number) => (flaw === 'expires-late' ? at <= entry.expiresAt : at < entry.expiresAt);
  const liveAt = (key: string, at: number) => {
    const entry = entries.get(key);
    return entry !== undefined && live(entry, at) ? entry : undefined;
  };
  const purge = (at: number) => {
    for (const [key, entry] of entries) if (!live(entry, at)) entries.delete(key);
  };
  const evictOne = () => {
    const keys = [...entries.keys()];
    const victim = flaw === 'evicts-newest' ? keys[keys.length - 1] : keys[0];
    if (victim !== undefined) entries.delete(victim);
  };
  const moveToNewest = (key: string, entry: Entry) => {
    entries.delete(key);
    entries.set(key, entry);
  };

  function get(key: string): unknown {
    const at = now();
    const entry = liveAt(key, at);
    if (entry === undefined) {
      entries.delete(key);
      return undefined;
    }
    if (flaw === 'read-extends-expiry') entry.expiresAt = at + ttlMs;
    if (flaw !== 'read-keeps-recency') moveToNewest(key, entry);
    return entry.value;
  }

  function set(key: string, value: unknown): void {
    const at = now();
    if (flaw !== 'expired-takes-slot') purge(at);
    const old = liveAt(key, at);
    if (old === undefined) entries.delete(key);
    const full = entries.size >= capacity;
    if (flaw === 'overwrite-evicts' ? full : old === undefined && full && flaw !== 'holds-one-fewer') evictOne();
    const entry: Entry = {
      value: old !== undefined && flaw === 'overwrite-keeps-value' ? old.value : value,
      expiresAt: old !== undefined && flaw === 'overwrite-keeps-expiry' ? old.expiresAt : at + ttlMs,
    };
    if (old !== undefined && flaw === 'overwrite-keeps-recency') entries.set(key, entry);
    else moveToNewest(key, entry);
    if (flaw === 'holds-one-fewer' && entries.size >= capacity) evictOne();
  }

  function remove(key: string): boolean {
    const at = now();
    const wasLive = liveAt(key, at) !== undefined;
    const present = entries.delete(key);
    return flaw === 'delete-reports-expired' ? present : wasLive;
  }

  function size(): number {
    const at = now();
    if (flaw === 'size-counts-expired') return entries.size;
    purge(at);
    return entries.size;
  }

  return Object.freeze({ get, set, delete: remove, size });
}

/** A factory of caches: the correct one, or one with `flaw`; frozen, like the caches it makes. */
export function cacheFactory(flaw?: Flaw, onMake?: (options: CacheOptions) => void): MakeCache {
  return Object.freeze((options: CacheOptions) => {
    const made = cache(options, flaw);
    onMake?.(options);
    return made;
  });
}
