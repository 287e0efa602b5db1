// `learn-ds run token-bucket`: requests accepted and rejected over time, and the tokens in the bucket.
import { advance, bucket, demo, labelled, sparkline, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { TokenBucket } from 'learn-ds/subject/token-bucket';

demo('a burst, a pause, then steady traffic above the rate', async () => {
  useVirtualTime();
  const bucketOf = new TokenBucket({ capacity: 5, refillPerSecond: 2 });
  const span = 8_000;
  const width = 64;
  // A burst of 20 requests per second for 1 s, silence, then 4 per second from 4 s on.
  const arrivals: number[] = [];
  for (let t = 0; t < 1_000; t += 50) arrivals.push(t);
  for (let t = 4_000; t < span; t += 250) arrivals.push(t);
  const accepted: number[] = [];
  const rejected: number[] = [];
  const tokens: number[] = [];
  let next = 0;
  for (let column = 0; column < width; column++) {
    const columnStart = (column * span) / width;
    const columnEnd = ((column + 1) * span) / width;
    if (virtualNow() < columnStart) await advance(columnStart - virtualNow());
    tokens.push(bucketOf.available());
    while (next < arrivals.length && arrivals[next]! < columnEnd) {
      await advance(arrivals[next]! - virtualNow());
      (bucketOf.tryRemove() ? accepted : rejected).push(arrivals[next]!);
      next++;
    }
  }
  return [
    'TokenBucket({ capacity: 5, refillPerSecond: 2 }); 20 requests/s for 1 s, a pause, then 4/s:',
    '',
    labelled([
      ['accepted', sparkline(bucket(accepted, span, width), 2)],
      ['rejected', sparkline(bucket(rejected, span, width), 2)],
      ['tokens', sparkline(tokens, 5)],
      ['', timeAxis(span, width)],
    ]),
    '',
    `${accepted.length} accepted, ${rejected.length} rejected. The full bucket absorbs the first 5 of the burst; after`,
    'that, and under the steady 4/s, only the refill rate (2/s) gets through.',
  ].join('\n');
});
