// `learn-ds run gossip-broadcast`: how one value spreads through your 25 nodes, and what a stream of
// broadcasts costs in messages and in delay.
import { bucket, costLine, demo, formatMs, labelled, sparkline, timeAxis } from 'learn-ds/harness';
import { cluster, everywhere, LATENCY_MS, NODES, valuesFor } from './tests/helpers.ts';

demo('one value through 25 nodes, then 100 values at 50 a second (100 ms links)', () => {
  const c = cluster({ seed: 4 });
  const ids = [...c.sim.ids].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  c.sim.runFor(500);
  const start = c.sim.now;
  c.broadcast('n1', 42);
  c.sim.runUntilTrue(everywhere(c, [42]), 5_000);
  const at = c.deliveries.get(42) ?? new Map<string, number>();
  const cell = (id: string) => {
    const t = at.get(id);
    return `${id.padStart(4)} ${t === undefined ? '   never' : `${(t - start).toFixed(0).padStart(5)} ms`}`;
  };
  const grid: string[] = [];
  for (let i = 0; i < ids.length; i += 5) grid.push(ids.slice(i, i + 5).map(cell).join('   '));

  const sentBefore = c.sent.length;
  const from = c.sim.now;
  const values = valuesFor(c.sim.random, 100).filter((v) => v !== 42);
  values.forEach((v, i) => c.sim.after(i * 20, () => c.broadcast(ids[Math.floor(c.sim.random() * ids.length)]!, v)));
  c.sim.runUntilTrue(() => c.broadcasts.length > values.length && everywhere(c, values)(), 20_000);
  const span = c.sim.now - from;
  const width = Math.min(60, Math.max(10, Math.round(span / 100)));
  const delays = values
    .filter((v) => c.deliveries.get(v)?.size === NODES)
    .map((v) => {
      const times = [...c.deliveries.get(v)!.values()];
      return Math.max(...times) - Math.min(...times);
    })
    .sort((a, b) => a - b);
  const sent = c.sent.length - sentBefore;
  // What the nodes still send once the last value reached every node, past a second for the last acks.
  const quietFrom = c.sim.now;
  c.sim.runFor(3_000);
  const quietSeconds = c.sent.filter((t) => t >= quietFrom + 1_000).length / 2;
  return [
    `Value 42 was broadcast to n1 at ${formatMs(start)}; how long after that each node delivered it (every message, the client's too, takes ${LATENCY_MS} ms):`,
    '',
    ...grid,
    '',
    `Then ${values.length} values, one every 20 ms to a random node: the messages between nodes, per ${formatMs(span / width)},`,
    '',
    labelled([
      ['messages', sparkline(bucket(c.sent.slice(sentBefore).map((t) => t - from), span, width))],
      ['', timeAxis(span, width)],
    ]),
    '',
    `${sent} messages for ${values.length} broadcasts: ${(sent / values.length).toFixed(1)} per broadcast (the checks allow 20);`,
    delays.length === values.length
      ? `delay from the first node to the last: median ${formatMs(delays[Math.floor(delays.length / 2)]!)} (at most 1 s), maximum ${formatMs(delays[delays.length - 1]!)} (at most 2 s).`
      : `${values.length - delays.length} of the ${values.length} values had not reached every node ${formatMs(span)} after the first broadcast.`,
    costLine({
      what: 'messages a second between nodes, 1 to 3 s after every value was everywhere',
      measured: quietSeconds,
      ideal: 0,
      why: 'nothing is left to send or to acknowledge',
      cause: 'timers keep sending when there is nothing new (the checks allow up to 2 per node per second)',
    }),
  ].join('\n');
});
