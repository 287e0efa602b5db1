// `learn-ds run http-cache`: your proxy over real HTTP on 127.0.0.1, in front of an origin that
// counts its requests, as a timeline on a fake clock: misses, hits with their Age, a stale answer
// refreshed in the background, a revalidation answered by 304, a crowd of concurrent requests, and
// a private page that is never stored.
import { vi } from 'vitest';
import { demo, labelled } from 'learn-ds/harness';
import { createCachingProxy } from 'learn-ds/subject/http-cache';
import { closeServers, Origin, send, startServer, type Outcome, type Seen } from './tests/http.ts';

const EPOCH = Date.UTC(2026, 0, 1, 12, 0, 0);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** 59999 → " 59.999". */
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))}`.padStart(7);

/** What the origin was asked during one step, in a few words. */
function asked(seen: readonly Seen[]): string {
  if (seen.length === 0) return '–';
  const one = (s: Seen) => `GET${s.headers['if-none-match'] ? ` If-None-Match: ${String(s.headers['if-none-match'])}` : ''}`;
  return seen.length === 1 ? one(seen[0]!) : `${seen.length} × ${one(seen[0]!)}`;
}

/** How the proxy answered, told from the origin's log and the reply's Age. */
function verdict(outcome: Outcome, seen: readonly Seen[], conditional: boolean, lifetimeS: number): string {
  if (outcome.kind !== 'reply') return 'no answer';
  const age = Number(outcome.reply.headers.age ?? 0);
  if (seen.length === 0) return age >= lifetimeS ? `STALE, Age: ${age}` : `HIT, Age: ${age}`;
  if (age >= lifetimeS) return `STALE, Age: ${age}; refreshed in the background`;
  if (conditional) return `REVALIDATED (304), Age: ${age}`;
  return 'MISS';
}

demo('a shared cache in front of an origin: hits, Age, stale-while-revalidate, 304s, coalescing', async () => {
  vi.useFakeTimers({ now: EPOCH, toFake: ['Date', 'performance', 'hrtime'] });
  const origin = new Origin((ms) => vi.advanceTimersByTime(ms));
  const rows: Array<readonly [string, string, string, string]> = [];
  try {
    const base = await origin.start();
    const { port } = await startServer('createCachingProxy', () => createCachingProxy({ origin: base }));
    const headers = { 'Cache-Control': 'max-age=60, stale-while-revalidate=30', ETag: '"v1"' };
    origin.route('/news', (s) => (s.headers['if-none-match'] === '"v1"' ? { status: 304, headers } : { headers }));
    origin.route('/me', (s) => ({ headers: { 'Cache-Control': 'private, max-age=60' }, body: `account page #${s.n}` }));

    let now = 0;
    const at = async (t: number) => {
      vi.advanceTimersByTime(t - now);
      now = t;
    };
    const step = async (t: number, path: string, label = `GET ${path}`) => {
      await at(t);
      const before = origin.count();
      const outcome = await send(port, { path });
      // A stale answer starts a refresh in the background: give it a moment to reach the origin.
      for (let i = 0; i < 20 && origin.count() === before && Number(outcome.kind === 'reply' ? outcome.reply.headers.age ?? 0 : 0) >= 60; i++) await pause(5);
      await pause(origin.count() > before ? 20 : 0);
      const seen = origin.seen.slice(before);
      rows.push([seconds(t), label, verdict(outcome, seen, seen.some((s) => s.headers['if-none-match']), 60), `${String(origin.count()).padStart(2)}  ${asked(seen)}`]);
    };

    await step(0, '/news');
    await step(12.5 * 1000, '/news');
    await step(59_999, '/news');
    await step(60_000, '/news');
    await step(61_000, '/news');
    await step(200_000, '/news');
    await at(400_000);
    const before = origin.count();
    const crowd = await Promise.all(Array.from({ length: 5 }, () => send(port, { path: '/news' })));
    const served = crowd.filter((o) => o.kind === 'reply' && o.reply.status === 200).length;
    const shared = origin.count() - before;
    rows.push([seconds(400_000), 'GET /news ×5, at once', `${shared} origin request${shared === 1 ? '' : 's'} for 5; ${served} of 5 served`, `${String(origin.count()).padStart(2)}  ${asked(origin.seen.slice(before))}`]);
    await step(401_000, '/me', 'GET /me (private)');
    await step(402_000, '/me', 'GET /me (private)');
  } finally {
    await closeServers();
    vi.useRealTimers();
  }
  return [
    'createCachingProxy({ origin }) on 127.0.0.1. The origin answers /news with',
    '  Cache-Control: max-age=60, stale-while-revalidate=30   ETag: "v1"   (and 304 to If-None-Match: "v1"),',
    'and /me with Cache-Control: private. Time is a fake clock, in seconds since the first request:',
    '',
    labelled([['  t (s) ', 'request', 'proxy', 'origin requests so far, and what it was asked'] as const, ...rows].map(([t, r, p, o]) => [`${t}  ${r}`, `${p.padEnd(46)} ${o}`] as const)),
    '',
    'Fresh while lifetime (60 s) > current age; Age is whole seconds, rounded down. Stale within',
    'max-age + stale-while-revalidate: served at once, refreshed by one background request. Past it: the',
    'client waits for a revalidation (304: the stored body, the new headers). Concurrent requests share',
    'one origin request; a private page is never stored, so every request for it reaches the origin.',
  ].join('\n');
});
