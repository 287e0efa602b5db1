// `learn-ds run bulkhead`: calls to one dependency through your bulkhead while that dependency turns slow.
import { BulkheadFullError, Bulkhead } from 'learn-ds/subject/bulkhead';
import { advance, bucket, demo, labelled, settle, sparkline, stateStrip, timeAxis, useVirtualTime, virtualNow, type Segment } from 'learn-ds/harness';

demo('a dependency that turns slow for three seconds', async () => {
  useVirtualTime();
  const options = { maxConcurrent: 4, maxQueue: 4, queueTimeoutMs: 300 };
  const bulkhead = new Bulkhead(options);
  const span = 8_000;
  const width = 80;
  const slow = (t: number) => t >= 2_000 && t < 5_000;
  const latency = (t: number) => (slow(t) ? 1_000 : 100);
  // 20 calls per second, one every 50 ms. A call takes 100 ms, or 1 s while the dependency is slow
  // (from 2 s to 5 s, judged when the call starts).
  const arrivals: number[] = [];
  for (let t = 0; t < span; t += 50) arrivals.push(t);

  const running: number[] = [];
  const queued: number[] = [];
  const full: number[] = [];
  const gaveUp: number[] = [];
  const calls: Promise<unknown>[] = [];
  let next = 0;
  for (let column = 0; column < width; column++) {
    const columnEnd = ((column + 1) * span) / width;
    let maxRunning = bulkhead.active;
    let maxQueued = bulkhead.queued;
    while (next < arrivals.length && arrivals[next]! < columnEnd) {
      if (arrivals[next]! > virtualNow()) await advance(arrivals[next]! - virtualNow());
      maxRunning = Math.max(maxRunning, bulkhead.active);
      maxQueued = Math.max(maxQueued, bulkhead.queued);
      const call = bulkhead.run(() => new Promise<void>((resolve) => setTimeout(resolve, latency(virtualNow()))));
      calls.push(call.catch((error: unknown) => {
        if (!(error instanceof BulkheadFullError)) throw error;
        (error.reason === 'queue-full' ? full : gaveUp).push(virtualNow());
      }));
      maxRunning = Math.max(maxRunning, bulkhead.active);
      maxQueued = Math.max(maxQueued, bulkhead.queued);
      next++;
    }
    if (columnEnd > virtualNow()) await advance(columnEnd - virtualNow());
    running.push(maxRunning);
    queued.push(maxQueued);
  }
  await settle(Promise.all(calls));

  // What would be in flight with no bulkhead: every call sent at once, each for its latency.
  const unbounded = Array.from({ length: width }, (_, c) => {
    const t = ((c + 0.5) * span) / width;
    return arrivals.filter((a) => a <= t && t < a + latency(a)).length;
  });
  // One scale for the three rows of calls in flight: the bulkhead's bound (█ = 8 calls or more).
  const scale = options.maxConcurrent + options.maxQueue;
  const health: Segment<'ok' | 'slow'>[] = [{ from: 0, to: 2_000, state: 'ok' }, { from: 2_000, to: 5_000, state: 'slow' }, { from: 5_000, to: span, state: 'ok' }];
  const perColumn = (times: readonly number[]) => sparkline(bucket(times, span, width), 2);
  return [
    'Bulkhead({ maxConcurrent: 4, maxQueue: 4, queueTimeoutMs: 300 }), 20 calls/s; see running, queued:',
    '',
    labelled([
      ['dependency', stateStrip(health, span, width, { ok: '─', slow: '█' })],
      [`no bulkhead (≤ ${Math.max(...unbounded)})`, sparkline(unbounded, scale)],
      [`running (≤ ${Math.max(...running)})`, sparkline(running, scale)],
      [`queued (≤ ${Math.max(...queued)})`, sparkline(queued, scale)],
      ['refused: full', perColumn(full)],
      ['   gave up', perColumn(gaveUp)],
      ['', timeAxis(span, width)],
    ]),
    '',
    `From 2 s to 5 s (█) the dependency takes 1 s a call instead of 100 ms. Without a bulkhead, up to`,
    `${Math.max(...unbounded)} calls would hold a worker at once (the rows share one scale: █ = ${scale} or more). Yours holds at most`,
    `${options.maxConcurrent} running + ${options.maxQueue} queued: ${full.length} calls were refused at once (queue full) and ${gaveUp.length} gave up after`,
    `${options.queueTimeoutMs} ms in the queue. They fail fast; the rest of the service keeps its workers.`,
  ].join('\n');
});
