// `learn-ds run dns-cache`: where each lookup's answer came from, while the name server goes down and comes back.
import { advance, demo, labelled, settle, stateStrip, timeAxis, useVirtualTime, virtualNow, type Segment } from 'learn-ds/harness';
import { CachingResolver } from 'learn-ds/subject/dns-cache';

demo('one name looked up twice a second while the name server is down for 18 s', async () => {
  useVirtualTime();
  const span = 40_000;
  const every = 500;
  const outage = { from: 12_000, to: 30_000 };
  const down = (t: number) => t >= outage.from && t < outage.to;
  let asked = 0;
  // The name server answers in 20 ms with a 5 s TTL, or fails in 20 ms (SERVFAIL) while it is down.
  const upstream = (hostname: string) => {
    asked++;
    return new Promise<{ addresses: string[]; ttlMs: number }>((resolve, reject) => {
      setTimeout(() => (down(virtualNow()) ? reject(new Error(`SERVFAIL ${hostname}`)) : resolve({ addresses: ['10.0.0.7'], ttlMs: 5_000 })), 20);
    });
  };
  const resolver = new CachingResolver({ upstream, upstreamTimeoutMs: 500, staleGraceMs: 10_000 });

  const marks: string[] = [];
  const counts = { cache: 0, upstream: 0, stale: 0, failed: 0 };
  for (let t = 0; t < span; t += every) {
    if (t > virtualNow()) await advance(t - virtualNow());
    const before = asked;
    const outcome = await settle(resolver.resolve('api.example.com'), every - 1);
    const kind = outcome.status !== 'fulfilled' ? 'failed' : asked === before ? 'cache' : down(t) ? 'stale' : 'upstream';
    counts[kind]++;
    marks.push({ cache: '·', upstream: '●', stale: '○', failed: '✗' }[kind]);
  }
  const health: Segment<'up' | 'down'>[] = [{ from: 0, to: outage.from, state: 'up' }, { ...outage, state: 'down' }, { from: outage.to, to: span, state: 'up' }];
  const width = marks.length;
  return [
    'CachingResolver, TTL 5 s, staleGraceMs 10 s; one lookup per column. Look at them during the outage:',
    '',
    labelled([
      ['name server', stateStrip(health, span, width, { up: '─', down: '█' })],
      ['lookups', marks.join('')],
      ['', timeAxis(span, width)],
    ]),
    '',
    `· cache (${counts.cache})  ● asked the name server (${counts.upstream})  ○ asked, it failed: served stale (${counts.stale})  ✗ failed (${counts.failed})`,
    'While the name server is up, one lookup per TTL (5 s) reaches it. When it goes down (█), the cached',
    'answer serves until its TTL runs out, then stale for 10 s more. Failures are not cached, so each',
    'of those lookups asks again, and the first one after the outage gets a fresh answer.',
  ].join('\n');
});
