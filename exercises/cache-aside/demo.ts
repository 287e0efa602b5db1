// `learn-ds run cache-aside`: heavy read traffic on a few hot keys through the cache, the store
// loads it lets through (coalesced and spread by jitter), and a write in the middle.
import { advance, bucket, demo, labelled, sparkline, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { CacheAside } from 'learn-ds/subject/cache-aside';

demo('8 hot keys read 400 times a second, ttlMs 1000 with jitter 0.5, a store that takes 80 ms', async () => {
  useVirtualTime();
  const span = 6_000;
  const width = 60;
  const values = new Map<string, string>();
  const keys = Array.from({ length: 8 }, (_, i) => `product-${i + 1}`);
  for (const key of keys) values.set(key, `${key} v1`);
  const loads: number[] = [];
  const store = {
    get: (key: string) => {
      loads.push(virtualNow());
      const value = values.get(key)!;
      return new Promise<string>((resolve) => setTimeout(() => resolve(value), 80));
    },
    set: (key: string, value: string) => new Promise<void>((resolve) => setTimeout(() => { values.set(key, value); resolve(); }, 30)),
  };
  const cache = new CacheAside<string>({ store, capacity: 8, ttlMs: 1_000, jitter: 0.5 });
  const gets: number[] = [];
  let stale = 0;
  let wroteAt = -1;
  for (let t = 0; t < span; t += 20) {
    if (t > virtualNow()) await advance(t - virtualNow());
    if (t === 3_000) void cache.set('product-1', 'product-1 v2').then(() => { wroteAt = virtualNow(); });
    for (const key of keys) {
      gets.push(t);
      const startedAt = virtualNow();
      void cache.get(key).then((value) => {
        if (key === 'product-1' && wroteAt >= 0 && startedAt > wroteAt && value !== 'product-1 v2') stale++;
      });
    }
  }
  await advance(200);
  return [
    `CacheAside({ capacity: 8, ttlMs: 1000, jitter: 0.5 }); every 20 ms each of 8 keys is read once; at 3 s, set('product-1', 'product-1 v2'):`,
    '',
    labelled([
      ['gets', sparkline(bucket(gets, span, width))],
      ['store loads', sparkline(bucket(loads, span, width), 2)],
      ['', timeAxis(span, width)],
    ]),
    '',
    `${gets.length} gets, ${loads.length} store loads (${((1 - loads.length / gets.length) * 100).toFixed(1)}% hits).`,
    'The first miss of each key is one load however many gets wait for it; the entries loaded together at 0 ms',
    'then expire at different times (500..1000 ms after they arrived), so the reloads spread out instead of',
    `arriving as one herd. Gets of 'product-1' made after the write completed that saw the old value: ${stale}.`,
  ].join('\n');
});
