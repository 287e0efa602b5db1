// `learn-ds run sliding-window-limiter`: your limiter and a fixed-window counter side by side, under
// bursts that straddle the window boundaries.
import { advance, bucket, demo, labelled, sparkline, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { SlidingWindowLimiter } from 'learn-ds/subject/sliding-window-limiter';

demo('bursts across the window boundaries: fixed window vs your sliding window', async () => {
  useVirtualTime();
  const limit = 10;
  const windowMs = 1_000;
  const span = 4_000;
  const width = 80;
  const limiter = new SlidingWindowLimiter({ limit, windowMs });
  // The fixed-window counter the statement warns about, for comparison: reset on every boundary.
  const fixed = { window: 0, count: 0 };
  const fixedAcquire = (t: number): boolean => {
    const w = Math.floor(t / windowMs);
    if (w !== fixed.window) Object.assign(fixed, { window: w, count: 0 });
    if (fixed.count >= limit) return false;
    fixed.count++;
    return true;
  };

  // One client: a burst of 24 requests (one every 25 ms) from 300 ms before to 300 ms after the
  // boundary at 1 s, then from 2 s on a steady 20 requests per second, twice the limit.
  const arrivals: number[] = [];
  for (let t = 700; t < 1_300; t += 25) arrivals.push(t);
  for (let t = 2_000; t < span; t += 50) arrivals.push(t);
  const fixedOk: number[] = [];
  const fixedNo: number[] = [];
  const slidingOk: number[] = [];
  const slidingNo: number[] = [];
  for (const t of arrivals) {
    if (t > virtualNow()) await advance(t - virtualNow());
    (fixedAcquire(t) ? fixedOk : fixedNo).push(t);
    (limiter.tryAcquire('client') ? slidingOk : slidingNo).push(t);
  }

  // Accepted requests in the last second, at the end of each column.
  const lastSecond = (accepted: readonly number[]) =>
    Array.from({ length: width }, (_, c) => {
      const end = ((c + 1) * span) / width;
      return accepted.filter((t) => t < end && t >= end - windowMs).length;
    });
  const busiest = (accepted: readonly number[]) => Math.max(...accepted.map((from) => accepted.filter((t) => t >= from && t < from + windowMs).length));
  const boundaries = Array.from({ length: width }, (_, c) => (c % (width / (span / windowMs)) === 0 ? '│' : ' ')).join('');
  const perColumn = (times: readonly number[]) => sparkline(bucket(times, span, width), 2);
  return [
    `Limit ${limit} per second: a fixed window vs your SlidingWindowLimiter. Look at the ✓ rows around 1 s:`,
    '',
    labelled([
      ['windows', boundaries],
      ['offered', perColumn(arrivals)],
      ['fixed   ✓', perColumn(fixedOk)],
      ['        ✗', perColumn(fixedNo)],
      ['sliding ✓', perColumn(slidingOk)],
      ['        ✗', perColumn(slidingNo)],
      ['', timeAxis(span, width)],
      ['last 1 s  fixed', sparkline(lastSecond(fixedOk), 2 * limit)],
      ['        sliding', sparkline(lastSecond(slidingOk), 2 * limit)],
    ]),
    '',
    `│ window boundaries. Around 1 s the fixed window lets ${limit} in just before the boundary and ${limit} just`,
    `after (${busiest(fixedOk)} within one second); yours still counts the previous window, fading out, so at most`,
    `${busiest(slidingOk)} get in within any second (its estimate assumes evenly spread requests). From 2 s, at twice`,
    'the limit, the fixed window admits in clumps at each window start; the sliding window spreads them.',
  ].join('\n');
});
