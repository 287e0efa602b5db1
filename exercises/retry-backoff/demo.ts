// `learn-ds run retry-backoff`: what your retry does, attempt by attempt, and what jitter does to a crowd.
import {
  advance, bar, bucket, controlMathRandom, demo, formatMs, labelled, settle, sparkline, streamFor, timeAxis, useVirtualTime, virtualNow,
} from 'learn-ds/harness';
import { retry } from 'learn-ds/subject/retry-backoff';

demo('one call that fails five times, then succeeds', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('demo: one call'));
  const options = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 };
  const starts: number[] = [];
  const outcome = await settle(retry(async (attempt) => {
    starts.push(virtualNow());
    if (attempt <= 5) throw new Error('503 Service Unavailable');
    return 'ok';
  }, options));
  const rows: Array<[string, string]> = [];
  starts.forEach((t, i) => {
    rows.push([`attempt ${i + 1}`, `at ${formatMs(t).padStart(8)}  ${i < 5 ? '✗ 503' : '✓ ok'}`]);
    const next = starts[i + 1];
    if (next !== undefined) {
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** i);
      const wait = next - t;
      const drawn = bar(wait, options.maxDelayMs, 40);
      rows.push(['  wait', `${formatMs(wait).padStart(11)}  ${drawn}${'░'.repeat(Math.max(0, Math.round((ceiling / options.maxDelayMs) * 40) - drawn.length))}`]);
    }
  });
  return [
    `retry(op, { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000 }) → ${outcome.status}`,
    '',
    labelled(rows),
    '',
    '█ the wait your code drew   ░ the rest of the ceiling (100, 200, 400, 800 ms, then capped at 1 s)',
  ].join('\n');
});

demo('fifty clients hit by the same 2-second outage', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('demo: crowd'));
  const retries: number[] = [];
  const outageEnds = 2_000;
  const client = () => retry(async (attempt) => {
    if (attempt > 1) retries.push(virtualNow());
    if (virtualNow() < outageEnds) throw new Error('503');
    return 'ok';
  }, { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1_600 });
  const all = Promise.allSettled(Array.from({ length: 50 }, client));
  await settle(all);
  await advance(1);
  const span = 4_000;
  const width = 64;
  return [
    'Retries per 62.5 ms, all clients together',
    '(all 50 first attempts fail at 0 ms; the outage ends at 2 s):',
    '',
    labelled([
      ['retries', sparkline(bucket(retries, span, width))],
      ['', timeAxis(span, width)],
    ]),
    '',
    `${retries.length} retries. With full jitter, retries spread out instead of arriving as one spike per`,
    'backoff step, so the service is not knocked over again the moment it comes back.',
  ].join('\n');
});
