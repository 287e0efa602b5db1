// `learn-ds run retry-budget`: the calls a client makes during an outage, with your retry budget and without one.
import { advance, bucket, demo, labelled, settle, sparkline, stateStrip, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { RetryBudget, callWithBudget } from 'learn-ds/subject/retry-budget';

demo('a 20-second outage, with and without a retry budget', async () => {
  const span = 40_000;
  const width = 80;
  const outage = { from: 10_000, to: 30_000 };
  const down = (t: number) => t >= outage.from && t < outage.to;
  const options = { maxAttempts: 3, baseDelayMs: 100 };

  /** 10 requests a second for 40 s through `budget`; the times of every call of op, and of the first attempts. */
  const traffic = async (budget: InstanceType<typeof RetryBudget>) => {
    useVirtualTime();
    const attempts: number[] = [];
    const firsts: number[] = [];
    const calls: Promise<unknown>[] = [];
    for (let t = 0; t < span; t += 100) {
      if (t > virtualNow()) await advance(t - virtualNow());
      calls.push(callWithBudget(async (attempt) => {
        attempts.push(virtualNow());
        if (attempt === 1) firsts.push(virtualNow());
        if (down(virtualNow())) throw new Error('503 Service Unavailable');
        return 'ok';
      }, budget, options).catch(() => undefined));
    }
    await settle(Promise.all(calls));
    return { attempts, firsts };
  };

  // Without a budget: a stand-in that grants every retry (callWithBudget only calls these two methods).
  const noBudget = await traffic({ recordRequest() {}, tryRetry: () => true } as unknown as InstanceType<typeof RetryBudget>);
  const withBudget = await traffic(new RetryBudget({ ratio: 0.1, minRetriesPerSecond: 1, windowMs: 10_000 }));

  const during = (times: readonly number[]) => times.filter(down).length;
  const firsts = during(withBudget.firsts);
  const amplification = (times: readonly number[]) => `${during(times)} calls, ×${(during(times) / firsts).toFixed(2)}`;
  const scale = Math.max(...bucket(noBudget.attempts, span, width));
  return [
    'callWithBudget, maxAttempts 3, 10 requests/s. Compare the calls of op per 0.5 s in each row:',
    '',
    labelled([
      ['service', stateStrip([{ from: 0, to: outage.from, state: 'up' }, { ...outage, state: 'down' }, { from: outage.to, to: span, state: 'up' }], span, width, { up: '─', down: '█' })],
      ['no budget', sparkline(bucket(noBudget.attempts, span, width), scale)],
      ['budget', sparkline(bucket(withBudget.attempts, span, width), scale)],
      ['first attempts', sparkline(bucket(withBudget.firsts, span, width), scale)],
      ['', timeAxis(span, width)],
    ]),
    '',
    `During the outage (█, 20 s) the clients send ${firsts} requests. Without a budget each is tried 3 times:`,
    `${amplification(noBudget.attempts)}, three times the load on a service that is already down. Your`,
    `RetryBudget({ ratio: 0.1, minRetriesPerSecond: 1, windowMs: 10000 }) lets ${amplification(withBudget.attempts)}: each`,
    '10 s window allows 10% of its 100 requests + 1/s × 10 s = 20 retries, spent as failures come.',
  ].join('\n');
});
