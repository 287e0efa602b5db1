// The hidden suite of cache-aside: one test per rule of the statement, each on scripted stores in
// virtual time. The seeded schedules against a model are in schedules.checks.ts.
import { test } from 'vitest';
import { advance, check, controlMathRandom, describeThrown, fail, freshVirtualTime, show, streamFor, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { CacheAside } from 'learn-ds/subject/cache-aside';
import { errorsOfEveryKind, keysFor, newCache, pick, settingsText, valuesOfEveryKind, type Cache, type Settings } from './fixtures.ts';
import { FakeStore, outcomeText, settleAll, settleOne, track } from './store.ts';

const LONG_TTL = 1_000_000;

/** Under fresh virtual time: a store holding `value` under 'k' (answering in `delayMs`), and a cache of capacity 2 in front of it with a TTL too long to matter. */
function oneKeyCache(value: unknown, delayMs: number): { store: FakeStore; cache: Cache } {
  useVirtualTime();
  const store = new FakeStore(delayMs);
  store.values.set('k', value);
  return { store, cache: newCache(store, { capacity: 2, ttlMs: LONG_TTL, jitter: 0 }) };
}

/** Gets `key` and runs virtual time until the get settles; the value, or a failure saying what happened. */
async function getValue(cache: Cache, key: string, what: string): Promise<unknown> {
  const settled = await settleOne(cache.get(key));
  if (settled.status !== 'fulfilled') fail(`${what}: get(${show(key)}) ${outcomeText(settled)}; expected it to resolve with the store's value`);
  return settled.value;
}

/** Advances virtual time to `atMs` (since the test began at 0). */
async function until(atMs: number): Promise<void> {
  const ms = atMs - virtualNow();
  if (ms < 0) throw new Error(`(learn-ds bug) time ${atMs} is in the past (now ${virtualNow()})`);
  if (ms > 0) await advance(ms);
}

test('a miss loads the value from the store once; a get within the TTL answers from the cache without asking the store', async () => {
  useVirtualTime();
  const random = streamFor('hit');
  const s: Settings = { capacity: 4, ttlMs: pick(random, 500, 5000), jitter: 0 };
  const store = new FakeStore(pick(random, 5, 50));
  const value = { id: pick(random, 1, 1000) };
  store.values.set('user:1', value);
  const cache = newCache(store, s);
  const first = await getValue(cache, 'user:1', 'a first get');
  check(store.gets.length === 1, () => `a first get('user:1') called store.get ${store.gets.length} times; expected exactly 1`);
  check(Object.is(first, value), () => `get('user:1') resolved with ${show(first)}; the store holds ${show(value)} (the very same object is expected)`);
  await advance(Math.floor(s.ttlMs / 2));
  const second = await getValue(cache, 'user:1', 'a second get within the TTL');
  check(store.gets.length === 1, () => `with ${settingsText(s)}, a second get('user:1') ${Math.floor(s.ttlMs / 2)} ms after the first one asked the store again; a value is cached for ttlMs after it arrived`);
  check(Object.is(second, value), () => `a cached get('user:1') resolved with ${show(second)}; expected the cached ${show(value)}`);
});

test("caches values of every kind and returns the very value the store gave: undefined, null, 0, '', false, NaN, objects, Errors as values", async () => {
  useVirtualTime();
  const store = new FakeStore(10);
  const kinds = valuesOfEveryKind();
  const cache = newCache(store, { capacity: kinds.length, ttlMs: LONG_TTL, jitter: 0 });
  kinds.forEach(({ value }, i) => store.values.set(`k${i}`, value));
  for (const [i, { label, value }] of kinds.entries()) {
    const key = `k${i}`;
    const first = await settleOne(cache.get(key));
    check(first.status === 'fulfilled' && Object.is(first.value, value), () => `the store holds ${label} under ${show(key)}; get(${show(key)}) ${outcomeText(first)}; expected it to resolve with that very value (an Error the store gives as a value is resolved, not thrown)`);
    const loads = store.gets.length;
    const second = await settleOne(cache.get(key));
    check(store.gets.length === loads, () => `after loading ${label} for ${show(key)}, a second get asked the store again; ${label} is a value like any other and must be a cache hit (is ${label} taken for "not cached"?)`);
    check(second.status === 'fulfilled' && Object.is(second.value, value), () => `a cached ${label}: get(${show(key)}) ${outcomeText(second)}; expected it to resolve with ${show(value)}`);
  }
});

test("keys of every shape are kept apart: sequential, random, mixed case ('Alice' is not 'alice'), non-ASCII, '__proto__', 'constructor', ''", async () => {
  useVirtualTime();
  const keys = keysFor('keys');
  const store = new FakeStore(10);
  const cache = newCache(store, { capacity: keys.length, ttlMs: LONG_TTL, jitter: 0 });
  const valueOf = new Map(keys.map((key, i) => [key, { key, n: i }]));
  for (const [key, value] of valueOf) store.values.set(key, value);
  for (const key of keys) {
    const got = await getValue(cache, key, `loading ${show(key)}`);
    check(Object.is(got, valueOf.get(key)), () => `get(${show(key)}) resolved with ${show(got)}; expected that key's own value ${show(valueOf.get(key))}`);
  }
  check(store.gets.length === keys.length, () => `loading ${keys.length} different keys called store.get ${store.gets.length} times; expected once per key (keys: ${keys.map((k) => show(k)).join(', ')})`);
  for (const key of keys) {
    check(cache.has(key), () => `after loading ${keys.length} keys into a cache of capacity ${keys.length}, has(${show(key)}) is false; expected true (keys are compared exactly, as strings)`);
    const loads = store.gets.length;
    const got = await getValue(cache, key, `a cached ${show(key)}`);
    check(store.gets.length === loads && Object.is(got, valueOf.get(key)), () => `get(${show(key)}) a second time ${store.gets.length === loads ? '' : 'asked the store again and '}resolved with ${show(got)}; expected a hit with ${show(valueOf.get(key))}`);
  }
});

test('a TTL runs out at exactly ttlMs after the value arrived from the store: fresh at ttlMs - 1, a miss at ttlMs (fractional ttlMs n + 0.5: fresh at n, a miss at n + 1)', async () => {
  const random = streamFor('ttl');
  const whole = pick(random, 100, 5000);
  for (const ttlMs of [whole, whole + 0.5]) {
    useVirtualTime();
    const delayMs = pick(random, 5, 60);
    const store = new FakeStore(delayMs);
    store.values.set('price', { v: 1 });
    const s: Settings = { capacity: 2, ttlMs, jitter: 0 };
    const cache = newCache(store, s);
    await getValue(cache, 'price', 'the first get');
    const arrived = virtualNow();
    const lastFresh = Math.ceil(ttlMs) - 1;
    await until(arrived + lastFresh);
    check(cache.has('price'), () => `with ${settingsText(s)}, the value arrived from the store at ${arrived} ms (the store took ${delayMs} ms); at ${arrived + lastFresh} ms (${lastFresh} ms after it arrived) has('price') is false; it must stay fresh until ${ttlMs} ms after it arrived (is the TTL counted from when the load started?)`);
    await getValue(cache, 'price', 'a get just before the TTL ran out');
    check(store.gets.length === 1, () => `with ${settingsText(s)}, get('price') ${lastFresh} ms after the value arrived asked the store again; it is still fresh until ${ttlMs} ms after it arrived`);
    await until(arrived + lastFresh + 1);
    check(!cache.has('price'), () => `with ${settingsText(s)}, at ${lastFresh + 1} ms after the value arrived has('price') is still true; an entry is fresh while (now - arrival) < ttlMs, so it expired at ${ttlMs} ms`);
    await getValue(cache, 'price', 'a get once the TTL ran out');
    check(store.gets.length as number === 2, () => `with ${settingsText(s)}, get('price') ${lastFresh + 1} ms after the value arrived did not ask the store again; the entry expired at ${ttlMs} ms (${ttlMs} ms is already too late)`);
  }
});

test('TTL jitter: an entry stays fresh for ttlMs × (1 - jitter × r), r the Math.random() drawn when it is stored, so always within [ttlMs × (1 - jitter), ttlMs]', async () => {
  const random = streamFor('jitter');
  const cases: { ttlMs: number; jitter: number; r: number }[] = [
    { ttlMs: 1024, jitter: 0.5, r: 0 },
    { ttlMs: 1024, jitter: 0.5, r: 0.5 },
    { ttlMs: 2048, jitter: 0.25, r: 0.75 },
    { ttlMs: 1024, jitter: 0.5, r: 1 - 2 ** -20 },
    { ttlMs: 4096, jitter: 0.875, r: 0.125 },
  ];
  while (cases.length < 10) {
    const c = { ttlMs: pick(random, 200, 4000), jitter: pick(random, 1, 90) / 100, r: random() };
    const e = c.ttlMs * (1 - c.jitter * c.r);
    if (Math.abs(e - Math.round(e)) > 1e-6) cases.push(c);
  }
  for (const { ttlMs, jitter, r } of cases) {
    useVirtualTime();
    controlMathRandom(() => r);
    const store = new FakeStore(10);
    store.values.set('k', 'v');
    const s: Settings = { capacity: 2, ttlMs, jitter };
    const cache = newCache(store, s);
    await getValue(cache, 'k', 'the first get');
    const arrived = virtualNow();
    const fresh = ttlMs * (1 - jitter * r);
    const firstMiss = Math.ceil(fresh);
    const rule = `with ${settingsText(s)} and Math.random() returning ${show(r)}, the entry is fresh for ${ttlMs} × (1 - ${jitter} × ${show(r)}) = ${show(fresh)} ms after it arrived`;
    await until(arrived + firstMiss - 1);
    check(cache.has('k'), () => `${rule}; at ${firstMiss - 1} ms after it arrived has('k') is already false (jitter too large, or outside [ttlMs × (1 - jitter), ttlMs]?)`);
    await until(arrived + firstMiss);
    check(!cache.has('k'), () => `${rule}; at ${firstMiss} ms after it arrived has('k') is still true (jitter not applied, or not drawn from Math.random()?)`);
  }
});

test('the TTL counts from the load, not from the last access: gets that hit do not extend it', async () => {
  useVirtualTime();
  const random = streamFor('ttl-access');
  const s: Settings = { capacity: 2, ttlMs: 4 * pick(random, 100, 1000), jitter: 0 };
  const store = new FakeStore(10);
  store.values.set('k', 1);
  const cache = newCache(store, s);
  await getValue(cache, 'k', 'the first get');
  const arrived = virtualNow();
  for (let i = 1; i <= 3; i++) {
    await until(arrived + (i * s.ttlMs) / 4);
    await getValue(cache, 'k', 'a get that hits');
  }
  await until(arrived + s.ttlMs);
  check(!cache.has('k'), () => `with ${settingsText(s)}, the value arrived at ${arrived} ms and was read (hits) at +${s.ttlMs / 4}, +${s.ttlMs / 2}, +${(3 * s.ttlMs) / 4} ms; at +${s.ttlMs} ms has('k') is still true: a hit must not extend the TTL (it counts from when the value arrived, not from the last access)`);
  await getValue(cache, 'k', 'a get after the TTL');
  check(store.gets.length === 2, () => `with ${settingsText(s)}, a get ${s.ttlMs} ms after the value arrived did not load it again; hits do not extend the TTL (last access is not what counts)`);
});

test('capacity: N - 1 and N entries are all kept; loading one more evicts the least recently used (tried with capacity 1 and a seeded N)', async () => {
  const random = streamFor('capacity');
  for (const capacity of [1, pick(random, 2, 7)]) {
    useVirtualTime();
    const store = new FakeStore(pick(random, 1, 30));
    const keys = Array.from({ length: capacity + 1 }, (_, i) => `item-${i + 1}`);
    for (const key of keys) store.values.set(key, key.toUpperCase());
    const s: Settings = { capacity, ttlMs: LONG_TTL, jitter: 0 };
    const cache = newCache(store, s);
    for (let n = 1; n <= capacity + 1; n++) {
      await getValue(cache, keys[n - 1]!, `loading key ${n}`);
      const held = keys.slice(0, n).filter((key) => cache.has(key));
      const expected = n <= capacity ? keys.slice(0, n) : keys.slice(1, n);
      check(held.join() === expected.join(), () => `with ${settingsText(s)}, after loading ${keys.slice(0, n).map((k) => show(k)).join(', ')} one after the other, the cache holds ${held.map((k) => show(k)).join(', ') || 'nothing'}; expected ${expected.map((k) => show(k)).join(', ')} (${n <= capacity ? `${n} entries fit in capacity ${capacity}` : `capacity ${capacity} exceeded: only the least recently used, ${show(keys[0])}, is evicted`})`);
    }
    const loads = store.gets.length;
    await getValue(cache, keys[0]!, 'getting the evicted key');
    check(store.gets.length === loads + 1, () => `get(${show(keys[0])}) after it was evicted (capacity ${capacity}) did not load it from the store again`);
  }
});

test('a get that hits counts as use: the entry it read is evicted after the others', async () => {
  const random = streamFor('lru');
  useVirtualTime();
  const capacity = pick(random, 2, 6);
  const store = new FakeStore(5);
  const keys = Array.from({ length: capacity + 1 }, (_, i) => `k${i}`);
  for (const key of keys) store.values.set(key, key);
  const s: Settings = { capacity, ttlMs: LONG_TTL, jitter: 0 };
  const cache = newCache(store, s);
  for (const key of keys.slice(0, capacity)) await getValue(cache, key, `loading ${show(key)}`);
  await getValue(cache, 'k0', "reading 'k0' again (a hit)");
  await getValue(cache, keys[capacity]!, 'loading one key more than the capacity');
  check(cache.has('k0'), () => `with ${settingsText(s)}: loaded ${keys.slice(0, capacity).map((k) => show(k)).join(', ')}, then read 'k0' (a hit), then loaded ${show(keys[capacity])}; 'k0' was evicted, but a get that hits counts as use, so the least recently used was 'k1'`);
  check(!cache.has('k1'), () => `with ${settingsText(s)}: loaded ${keys.slice(0, capacity).map((k) => show(k)).join(', ')}, then read 'k0', then loaded ${show(keys[capacity])}; 'k1' (the least recently used) is still cached`);
});

test('has() never asks the store and does not count as use', async () => {
  useVirtualTime();
  const store = new FakeStore(5);
  for (const key of ['a', 'b', 'c']) store.values.set(key, key);
  const cache = newCache(store, { capacity: 2, ttlMs: LONG_TTL, jitter: 0 });
  check(!cache.has('a'), "has('a') on an empty cache returned true");
  await getValue(cache, 'a', "loading 'a'");
  await getValue(cache, 'b', "loading 'b'");
  check(cache.has('a'), "has('a') after loading 'a' returned false");
  await getValue(cache, 'c', "loading 'c'");
  check(store.gets.length === 3, () => `has() called store.get: 3 loads expected, ${store.gets.length} seen`);
  check(!cache.has('a') && cache.has('b'), () => `capacity 2: loaded 'a', 'b', called has('a'), loaded 'c'; expected 'a' evicted (has() is not a use), but has('a') = ${cache.has('a')} and has('b') = ${cache.has('b')}`);
});

test('concurrent misses of one key share one store load, and every waiting get resolves with the very same value', async () => {
  const random = streamFor('coalesce');
  useVirtualTime();
  const delayMs = pick(random, 20, 200);
  const store = new FakeStore(delayMs);
  const keys = ['hot', 'Hot', '__proto__'];
  for (const key of keys) store.values.set(key, { key });
  const cache = newCache(store, { capacity: 8, ttlMs: LONG_TTL, jitter: 0 });
  const waiting: { key: string; atMs: number; promise: Promise<unknown> }[] = [];
  const count = pick(random, 3, 20);
  for (let i = 0; i < count; i++) {
    for (const key of keys) waiting.push({ key, atMs: virtualNow(), promise: cache.get(key) });
    if (i % 2 === 1) await advance(Math.floor(delayMs / (count + 1)));
  }
  const settled = await settleAll(waiting.map((w) => w.promise));
  for (const key of keys) {
    const loads = store.getsOf(key).length;
    check(loads === 1, () => `${count} gets of ${show(key)} were made while its first load (${delayMs} ms) was still running; they called store.get ${loads} times; expected one store load shared by all of them (a thundering herd otherwise)`);
  }
  settled.forEach((outcome, i) => {
    const { key, atMs } = waiting[i]!;
    check(outcome.status === 'fulfilled' && Object.is(outcome.value, store.values.get(key)), () => `get(${show(key)}) made at ${atMs} ms, while the load was running, ${outcomeText(outcome)}; expected the same value as the others, ${show(store.values.get(key))}`);
  });
});

test('when a shared load fails, every waiting get rejects with the same error, the very value the store rejected with (Error subclass, string, object, undefined)', async () => {
  for (const { label, error } of errorsOfEveryKind()) {
    const { store, cache } = oneKeyCache('v', 10);
    store.onGet('k', { delayMs: 40, fails: true, error });
    const promises = [cache.get('k'), cache.get('k')];
    await advance(20);
    promises.push(cache.get('k'), cache.get('k'));
    const settled = await settleAll(promises);
    check(store.gets.length === 1, () => `4 gets of 'k' during one load that fails with ${label}: store.get was called ${store.gets.length} times; expected 1 (waiting gets share the load and its error; none retries on its own)`);
    settled.forEach((outcome, i) => {
      check(outcome.status === 'rejected' && Object.is(outcome.reason, error), () => `the store's load of 'k' rejected with ${label} (${describeThrown(error)}); get number ${i + 1} of 4 ${outcomeText(outcome)}; every waiting get must reject with the same error, that very value`);
    });
  }
});

test('errors are not cached, not even for a moment: a get right after a failed load asks the store again, and a success after it is cached', async () => {
  for (const { label, error } of errorsOfEveryKind()) {
    const { store, cache } = oneKeyCache('fresh', 10);
    store.onGet('k', { delayMs: 25, fails: true, error });
    const failed = await settleOne(cache.get('k'));
    check(failed.status === 'rejected' && Object.is(failed.reason, error), () => `the store rejected the load of 'k' with ${label}; get('k') ${outcomeText(failed)}; expected it to reject with that very value`);
    check(!cache.has('k'), () => `after a load of 'k' failed with ${label}, has('k') is true; a failure is not cached`);
    const again = await settleOne(cache.get('k'));
    check(store.gets.length === 2, () => `a get('k') made in the same millisecond as a failed load (${label}) did not ask the store again: errors are not cached`);
    check(again.status === 'fulfilled' && again.value === 'fresh', () => `after a failed load, the store answers 'fresh'; get('k') ${outcomeText(again)} (errors are not cached)`);
    await settleOne(cache.get('k'));
    check(store.gets.length === 2, () => `after a failed load then a successful one, a third get('k') asked the store again; the successful value must be cached`);
  }
});

test("a write goes to the store, resolves once the store's write has, then the key's entry is gone: the next get loads the written value", async () => {
  const random = streamFor('write');
  useVirtualTime();
  const setDelay = pick(random, 10, 80);
  const store = new FakeStore(5);
  for (const key of ['a', 'b', 'c']) store.values.set(key, `${key}1`);
  store.onSet('a', { delayMs: setDelay });
  const cache = newCache(store, { capacity: 2, ttlMs: LONG_TTL, jitter: 0 });
  await getValue(cache, 'a', "loading 'a'");
  await getValue(cache, 'b', "loading 'b'");
  const start = virtualNow();
  const write = await settleOne(cache.set('a', 'a2'));
  check(store.sets.length === 1 && store.sets[0]!.key === 'a' && store.sets[0]!.value === 'a2', () => `set('a', 'a2') made ${store.sets.length} store.set calls (${store.sets.map((c) => `set(${show(c.key)}, ${show(c.value)})`).join(', ')}); expected exactly store.set('a', 'a2')`);
  check(write.status === 'fulfilled' && write.value === undefined, () => `set('a', 'a2') ${outcomeText(write)}; expected it to resolve with undefined once the store's write did`);
  check(write.atMs - start >= setDelay, () => `set('a', 'a2') resolved ${write.atMs - start} ms after it was called, before the store's write answered (${setDelay} ms)`);
  check(!cache.has('a'), "after set('a', 'a2') completed, has('a') is true; a write removes the key's entry");
  await getValue(cache, 'c', "loading 'c'");
  check(cache.has('b'), "capacity 2: loaded 'a' and 'b', wrote 'a' (its entry removed), loaded 'c': 'b' was evicted, but the write had freed a place");
  const got = await getValue(cache, 'a', "get('a') after the write");
  check(got === 'a2', () => `after set('a', 'a2') completed, get('a') resolved with ${show(got)}; expected 'a2'`);
});

test('invalidation comes after the store write: a get made while a write is in flight leaves no old value cached once the write completes', async () => {
  for (const cachedBefore of [true, false]) {
    const { store, cache } = oneKeyCache('old', 5);
    if (cachedBefore) await getValue(cache, 'k', 'loading k');
    const start = virtualNow();
    store.onSet('k', { delayMs: 60 });
    const write = track(cache.set('k', 'new'));
    await advance(10);
    const during = track(cache.get('k'));
    await advance(60);
    check(write.outcome?.status === 'fulfilled', () => `set('k', 'new') had not resolved 70 ms after it was called (the store answered at 60 ms)`);
    check(during.outcome !== undefined, 'a get made during the write had not settled 60 ms later');
    const after = await getValue(cache, 'k', 'a get after the write');
    check(after === 'new', () => `${cachedBefore ? "'k' was cached as 'old'; " : ''}set('k', 'new') called at ${start} ms (the store applied it at ${start + 60} ms), get('k') at ${start + 10} ms, then get('k') at ${virtualNow()} ms resolved with ${show(after)}; expected 'new': the get during the write loaded 'old' from the store, so the entry must be invalidated after the store's write completes, not before it starts`);
  }
});

test('a failed write still invalidates: the store may have applied it, so the next get loads again; the write rejects with the store error of every kind', async () => {
  for (const { label, error } of errorsOfEveryKind()) {
    for (const applied of [true, false]) {
      const { store, cache } = oneKeyCache('old', 5);
      await getValue(cache, 'k', 'loading k');
      store.onSet('k', { delayMs: 20, fails: true, error, applied });
      const write = await settleOne(cache.set('k', 'new'));
      check(write.status === 'rejected' && Object.is(write.reason, error), () => `store.set rejected with ${label}; set('k', 'new') ${outcomeText(write)}; expected it to reject with that very value`);
      const got = await getValue(cache, 'k', 'a get after a failed write');
      const expected = applied ? 'new' : 'old';
      check(store.gets.length === 2 && got === expected, () => `'k' was cached as 'old'; set('k', 'new') failed with ${label} ${applied ? 'after the store had applied it' : 'before the store applied it'}; then get('k') ${store.gets.length === 2 ? 'loaded' : 'answered from the cache'} ${show(got)}; expected it to load ${show(expected)} from the store: a failed write still invalidates the entry`);
    }
  }
});

test('a load that began before a write completed never puts its stale value into the cache after that write', async () => {
  const random = streamFor('race');
  // The load starts before the write starts, or while the write is in flight; it comes back after the write.
  for (const loadStartsMs of [0, 15]) {
    const { store, cache } = oneKeyCache('old', 5);
    const loadMs = pick(random, 80, 200);
    const writeStartsMs = loadStartsMs === 0 ? 10 : 0;
    store.onGet('k', { delayMs: loadMs });
    store.onSet('k', { delayMs: 30 });
    const writeAt = writeStartsMs;
    const reads: ReturnType<typeof track<unknown>>[] = [];
    if (writeAt === 0) {
      track(cache.set('k', 'new'));
      await until(loadStartsMs);
      reads.push(track(cache.get('k')));
    } else {
      reads.push(track(cache.get('k')));
      await until(writeAt);
      track(cache.set('k', 'new'));
    }
    await until(loadStartsMs + loadMs + 1);
    check(reads[0]!.outcome !== undefined, () => `a get('k') made at ${loadStartsMs} ms, when the store answers in ${loadMs} ms, had not settled at ${loadStartsMs + loadMs + 1} ms`);
    const after = await getValue(cache, 'k', 'a get after the write and the slow load');
    check(after === 'new', () => `timeline: ${writeAt === 0 ? `set('k', 'new') at 0 ms (the store applied it at 30 ms); get('k') at ${loadStartsMs} ms read 'old' from the store` : `get('k') at 0 ms started a load that read 'old'; set('k', 'new') at ${writeAt} ms completed at ${writeAt + 30} ms`}; that load came back at ${loadStartsMs + loadMs} ms; then get('k') at ${loadStartsMs + loadMs + 1} ms resolved with ${show(after)}; expected 'new': the slow load put its stale value back into the cache after the write's invalidation`);
  }
});

test('a get made after a write completed does not join a load that began before the write', async () => {
  const { store, cache } = oneKeyCache('old', 5);
  store.onGet('k', { delayMs: 300 });
  store.onSet('k', { delayMs: 20 });
  const slow = track(cache.get('k'));
  await advance(10);
  const write = track(cache.set('k', 'new'));
  await advance(30);
  check(write.outcome?.status === 'fulfilled', "set('k', 'new') had not resolved 30 ms after it was called (the store answered in 20 ms)");
  const later = await settleOne(cache.get('k'));
  check(later.status === 'fulfilled' && later.value === 'new', () => `get('k') at 0 ms started a 300 ms load (it read 'old'); set('k', 'new') completed at 30 ms; then get('k') at 40 ms ${outcomeText(later)} at ${later.atMs} ms; expected 'new': a get made after the write completed must not join the load that began before it`);
  check(slow.outcome === undefined || slow.outcome.status === 'fulfilled', () => `the first get('k') ${outcomeText(slow.outcome!)}`);
});

test('when a load that began before a write finishes, later misses still share the newer load (one store load per key at a time)', async () => {
  const { store, cache } = oneKeyCache('old', 5);
  store.onGet('k', { delayMs: 200 });
  store.onSet('k', { delayMs: 20 });
  track(cache.get('k'));
  await advance(10);
  track(cache.set('k', 'new'));
  await advance(30);
  store.onGet('k', { delayMs: 300 });
  const second = track(cache.get('k'));
  await advance(200);
  const third = cache.get('k');
  const settled = await settleAll([third]);
  check(store.gets.length === 2, () => `timeline: get('k') at 0 ms (a 200 ms load), set('k', 'new') completed at 30 ms, get('k') at 40 ms (a new 300 ms load), the first load finished at 200 ms, get('k') at 240 ms: store.get was called ${store.gets.length} times; expected 2: the get at 240 ms joins the load still running since 40 ms (did the first load, when it finished, forget the newer one?)`);
  check(settled[0]!.status === 'fulfilled' && settled[0]!.value === 'new' && second.outcome?.status === 'fulfilled', () => `get('k') at 240 ms ${outcomeText(settled[0]!)}; expected 'new'`);
});

test('throws a RangeError for a capacity that is not a whole number >= 1, a ttlMs that is not finite and > 0, a jitter outside [0, 1)', () => {
  const store = new FakeStore();
  const valid: Settings = { capacity: 3, ttlMs: 1000, jitter: 0.1 };
  const bad: Partial<Settings>[] = [
    { capacity: 0 }, { capacity: -1 }, { capacity: 2.5 }, { capacity: Number.NaN }, { capacity: Number.POSITIVE_INFINITY },
    { ttlMs: 0 }, { ttlMs: -5 }, { ttlMs: Number.NaN }, { ttlMs: Number.POSITIVE_INFINITY },
    { jitter: -0.01 }, { jitter: 1 }, { jitter: 1.5 }, { jitter: Number.NaN },
  ];
  for (const change of bad) {
    const s = { ...valid, ...change };
    let thrown: unknown = 'nothing';
    try {
      new CacheAside<unknown>({ store: store.api, ...s });
    } catch (error) {
      thrown = error;
    }
    check(thrown instanceof RangeError, () => `new CacheAside({ store, ${settingsText(s)} }) threw ${thrown === 'nothing' ? 'nothing' : describeThrown(thrown)}; expected a RangeError`);
  }
  for (const change of [{ capacity: 1 }, { jitter: 0 }, { jitter: 0.999 }, { ttlMs: 0.5 }]) {
    const s = { ...valid, ...change };
    try {
      new CacheAside<unknown>({ store: store.api, ...s });
    } catch (error) {
      fail(`new CacheAside({ store, ${settingsText(s)} }) threw ${describeThrown(error)}; these options are valid`);
    }
  }
});

test('each stored entry draws its own r from Math.random(): entries stored at different times get different lifetimes', async () => {
  useVirtualTime();
  const random = streamFor('own-r');
  const [early, late] = random() < 0.5 ? [0.25, 0.75] : [0.75, 0.25];
  // Math.random() answers by the time of the call: `early` during the first load, `late` during the second.
  controlMathRandom(() => (virtualNow() < 250 ? early : late));
  const store = new FakeStore(10);
  store.values.set('a', 'A');
  store.values.set('b', 'B');
  const s: Settings = { capacity: 2, ttlMs: 1024, jitter: 0.5 };
  const cache = newCache(store, s);
  await getValue(cache, 'a', "loading 'a'");
  const aArrived = virtualNow();
  await until(500);
  await getValue(cache, 'b', "loading 'b'");
  const bArrived = virtualNow();
  for (const [key, arrived, r] of [['a', aArrived, early], ['b', bArrived, late]] as const) {
    const lifetime = s.ttlMs * (1 - s.jitter * r);
    const rule = `with ${settingsText(s)}, Math.random() returned ${early} while 'a' was loaded (0..${aArrived} ms) and ${late} while 'b' was loaded (500..${bArrived} ms); ${show(key)} arrived at ${arrived} ms, so it is fresh for 1024 × (1 - 0.5 × ${r}) = ${lifetime} ms`;
    await until(arrived + lifetime - 1);
    check(cache.has(key), () => `${rule}; at ${arrived + lifetime - 1} ms has(${show(key)}) is false (is one r drawn for every entry, rather than one per stored entry?)`);
    await until(arrived + lifetime);
    check(!cache.has(key), () => `${rule}; at ${arrived + lifetime} ms has(${show(key)}) is still true (is one r drawn for every entry, rather than one per stored entry?)`);
  }
});

test('on random sequences of gets, failed loads and writes, hits, misses and evictions follow an LRU of capacity entries', async () => {
  const random = streamFor('lru-model');
  for (let run = 1; run <= 30; run++) {
    freshVirtualTime();
    const capacity = pick(random, 1, 5);
    const keys = keysFor(`lru-model-${run}`).slice(0, capacity + 3);
    const store = new FakeStore(pick(random, 1, 20));
    for (const key of keys) store.values.set(key, `${key}!`);
    const s: Settings = { capacity, ttlMs: LONG_TTL, jitter: 0 };
    const cache = newCache(store, s);
    const lru: string[] = []; // least recently used first
    const history: string[] = [];
    const told = () => `with ${settingsText(s)}, after ${history.join(', ')}`;
    for (let step = 0; step < 30; step++) {
      const key = keys[pick(random, 0, keys.length - 1)]!;
      const roll = random();
      if (roll < 0.2) {
        await settleOne(cache.set(key, `${key}!`));
        history.push(`set(${show(key)})`);
        if (lru.includes(key)) lru.splice(lru.indexOf(key), 1);
      } else {
        const hit = lru.includes(key);
        const fails = !hit && roll < 0.3;
        if (fails) store.onGet(key, { delayMs: 5, fails: true, error: new Error('store down') });
        const loads = store.gets.length;
        await settleOne(cache.get(key));
        const loaded = store.gets.length - loads;
        history.push(`get(${show(key)})${hit ? '' : fails ? ' (load fails)' : ''}`);
        check(loaded === (hit ? 0 : 1), () => `${told()}: the last get ${loaded === 0 ? 'was answered from the cache' : `called store.get ${loaded} time(s)`}; expected ${hit ? 'a hit (the key is among the capacity most recently used)' : 'one store load (a miss)'}`);
        if (hit) lru.splice(lru.indexOf(key), 1);
        if (!fails) {
          lru.push(key);
          if (lru.length > capacity) lru.shift();
        }
      }
      const held = keys.filter((k) => cache.has(k));
      const expected = keys.filter((k) => lru.includes(k));
      check(held.join('|') === expected.join('|'), () => `${told()}: the cache holds ${held.map((k) => show(k)).join(', ') || 'nothing'}; expected ${expected.map((k) => show(k)).join(', ') || 'nothing'} (the ${capacity} most recently used, a get that hits counting as use, failed loads not cached, written keys removed)`);
    }
  }
});
