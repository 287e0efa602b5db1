// `learn-ds run load-shedding`: a server pushed to twice its capacity, with your shedder and without shedding.
import { advance, bucket, demo, formatMs, labelled, settle, sparkline, streamFor, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { LoadShedder } from 'learn-ds/subject/load-shedding';

demo('four seconds at twice the capacity', async () => {
  const span = 16_000;
  const width = 80;
  const options = { concurrency: 4, maxQueueWaitMs: 250, retryAfterSeconds: 1 };
  // 4 works at once, 50..150 ms each (100 on average): capacity 40 requests/s. Requests arrive at
  // random, 20/s, then 80/s (twice the capacity) from 2 s to 6 s. Drawn once for both runs.
  const random = streamFor('demo: overload');
  const overloaded = (t: number) => t >= 2_000 && t < 6_000;
  const arrivals: Array<{ at: number; serviceMs: number }> = [];
  for (let t = 0; ; ) {
    t += Math.round(-Math.log(1 - random()) * (overloaded(t) ? 1_000 / 80 : 1_000 / 20));
    if (t >= span) break;
    arrivals.push({ at: t, serviceMs: 50 + Math.floor(random() * 101) });
  }

  const run = async (maxQueueWaitMs: number) => {
    useVirtualTime();
    const shedder = new LoadShedder({ ...options, maxQueueWaitMs });
    const answered: Array<{ at: number; latency: number }> = [];
    const shed: number[] = [];
    const requests: Promise<unknown>[] = [];
    for (const { at, serviceMs } of arrivals) {
      if (at > virtualNow()) await advance(at - virtualNow());
      const work = () => new Promise<{ status: number; headers: Record<string, string> }>((resolve) => setTimeout(() => resolve({ status: 200, headers: {} }), serviceMs));
      requests.push(shedder.handle(work).then((response) => {
        if (response.status === 503) shed.push(virtualNow());
        else answered.push({ at: virtualNow(), latency: virtualNow() - at });
      }));
    }
    await settle(Promise.all(requests));
    return { answered, shed };
  };
  const shedding = await run(options.maxQueueWaitMs);
  // "Without": your LoadShedder again, with a wait limit so long (1e9 ms) that it never sheds.
  const queueing = await run(1e9);

  /** The slowest answer completed in each column. */
  const slowest = (answered: ReadonlyArray<{ at: number; latency: number }>) => {
    const out = Array<number>(width).fill(0);
    for (const { at, latency } of answered) {
      const c = Math.floor((at / span) * width);
      if (c < width) out[c] = Math.max(out[c]!, latency);
    }
    return out;
  };
  const worst = (answered: ReadonlyArray<{ latency: number }>) => Math.max(0, ...answered.map((a) => a.latency));
  const perColumn = Math.max(...bucket(arrivals.map((a) => a.at), span, width));
  const latencyScale = Math.max(worst(queueing.answered), worst(shedding.answered));
  const inTime = shedding.answered.filter((a) => overloaded(a.at)).length;
  return [
    'LoadShedder({ concurrency: 4, maxQueueWaitMs: 250, retryAfterSeconds: 1 }); see the latency rows:',
    '',
    labelled([
      ['offered', sparkline(bucket(arrivals.map((a) => a.at), span, width), perColumn)],
      ['answered', sparkline(bucket(shedding.answered.map((a) => a.at), span, width), perColumn)],
      ['shed (503)', sparkline(bucket(shedding.shed, span, width), perColumn)],
      ['latency', sparkline(slowest(shedding.answered), latencyScale)],
      ['no shedding', sparkline(slowest(queueing.answered), latencyScale)],
      ['', timeAxis(span, width)],
    ]),
    '',
    `Capacity 40 requests/s; from 2 s to 6 s, 80/s arrive. Your shedder answers ${shedding.shed.length} requests 503,`,
    `serves ${(inTime / 4).toFixed(0)}/s of the rest, the slowest in ${formatMs(worst(shedding.answered))}. Without shedding (same code, maxQueueWaitMs 1e9)`,
    `everyone queues: the wait grows by a second every second, up to ${formatMs(worst(queueing.answered))}, and stays long after`,
    'the overload, for callers who gave up long ago. Latency: the slowest answer per column, one scale.',
  ].join('\n');
});
