// `learn-ds run hedged-requests`: the latency of 1,000 requests with and without hedging, over the
// same seeded replica latencies, and what the hedges cost.
import { bar, demo, formatMs, labelled, settle, streamFor, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { Hedger } from 'learn-ds/subject/hedged-requests';

/** Nearest-rank percentile. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

demo('1,000 requests to two replicas with a slow tail, with and without hedging', async () => {
  useVirtualTime();
  const total = 1_000;
  const random = streamFor('demo: replica latencies');
  // Each call takes 5..49 ms, except 3% of them (on either replica) that take 300..999 ms: a GC
  // pause, a busy disk. Drawn once, so both runs see exactly the same replicas.
  const draw = () => (random() < 0.03 ? 300 + Math.floor(random() * 700) : 5 + Math.floor(random() * 45));
  const latencyOf = Array.from({ length: total }, () => [draw(), draw()] as const);

  const options = { percentile: 95, window: 100, initialDelayMs: 50 };
  const run = async (maxHedgeRatio: number) => {
    const hedger = new Hedger({ ...options, maxHedgeRatio });
    const latencies: number[] = [];
    let hedges = 0;
    let wastedMs = 0;
    for (let i = 0; i < total; i++) {
      const start = virtualNow();
      const outcome = await settle(hedger.request((replica, signal) => {
        if (replica === 1) hedges++;
        const sent = virtualNow();
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => resolve(replica), latencyOf[i]![replica]);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            wastedMs += virtualNow() - sent;
            reject(signal.reason);
          }, { once: true });
        });
      }));
      if (outcome.status !== 'fulfilled') throw new Error(`request ${i + 1} did not resolve: ${outcome.status} (both its calls fulfil)`);
      latencies.push(outcome.atMs - start);
    }
    return { sorted: latencies.sort((a, b) => a - b), hedges, wastedMs };
  };
  // "Without": the same Hedger with maxHedgeRatio 0, so it never hedges.
  const without = await run(0);
  const withHedging = await run(0.1);

  const points = [['p50', 50], ['p90', 90], ['p95', 95], ['p99', 99], ['p99.9', 99.9]] as const;
  const scale = Math.max(without.sorted.at(-1)!, withHedging.sorted.at(-1)!);
  const rows: Array<[string, string]> = [];
  for (const [label, p] of points) {
    for (const [name, result] of [['without', without], ['hedged', withHedging]] as const) {
      const value = percentile(result.sorted, p);
      rows.push([name === 'without' ? `${label.padEnd(6)}${name}` : `      ${name}`, `${formatMs(value).padStart(6)}  ${bar(value, scale, 60)}`]);
    }
  }
  const meanWasted = withHedging.hedges === 0 ? 0 : withHedging.wastedMs / withHedging.hedges;
  return [
    'Hedger({ percentile: 95, window: 100, initialDelayMs: 50, maxHedgeRatio: 0.1 }): see the p99:',
    '',
    labelled(rows),
    '',
    '1,000 requests, one at a time; each call takes 5-49 ms, or 300-999 ms for 3% of them, drawn once',
    'for "without" (your Hedger with maxHedgeRatio: 0) and "hedged" (0.1). The p50 stays; the tail drops.',
    `A request still waiting at the p95 (about ${formatMs(percentile(without.sorted, 95))}) is hedged: it then takes that plus a fast call.`,
    `Cost: ${withHedging.hedges} hedges, ${((withHedging.hedges / total) * 100).toFixed(1)}% more calls (the budget allows 10%); the losing call of a hedged request`,
    `ran ${formatMs(meanWasted)} on average before your Hedger aborted it.`,
  ].join('\n');
});
