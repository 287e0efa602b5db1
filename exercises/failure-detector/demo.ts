// `learn-ds run failure-detector`: who suspects whom over time, as a node crashes, a link slows and a partition heals.
import { demo, formatMs, labelled, stateStrip, timeAxis, type Segment } from 'learn-ds/harness';
import { Simulation, spikyLatency, uniformLatency } from 'learn-ds/sim';
import type { FailureDetector, Message } from 'learn-ds/subject/failure-detector';
import { createFailureDetector } from 'learn-ds/subject/failure-detector';

const options = { heartbeatIntervalMs: 100, timeoutMs: 350 };

demo('four nodes: n2 crashes at 1 s and restarts at 2.5 s; n4 is cut off from 4 s to 5 s', () => {
  const sim = new Simulation<Message, FailureDetector>({
    seed: 5, nodes: 4, network: { latency: uniformLatency(5, 40) }, factory: (ctx) => createFailureDetector(ctx, options),
  });
  sim.at(1_000, () => sim.crash('n2'));
  sim.at(2_500, () => sim.restart('n2'));
  sim.at(3_000, () => (sim.network = { ...sim.network, latency: spikyLatency(20, 600, 0.1) }));
  sim.at(3_800, () => (sim.network = { ...sim.network, latency: uniformLatency(5, 40) }));
  sim.at(4_000, () => sim.isolate('n4'));
  sim.at(5_000, () => sim.heal());
  const span = 6_000;
  const width = 60;
  const step = span / width;
  // One row per (observer, peer): what the observer thinks of the peer at each column.
  const rows: Array<[string, string]> = [];
  const views = new Map<string, Segment<'trusted' | 'suspected' | 'down'>[]>();
  for (let t = 0; t < span; t += step) {
    sim.runUntil(t);
    for (const observer of sim.ids) {
      for (const peer of sim.ids) {
        if (peer === observer) continue;
        const node = sim.node(observer);
        const state = node === undefined ? 'down' : node.suspects().includes(peer) ? 'suspected' : 'trusted';
        const key = `${observer} → ${peer}`;
        const list = views.get(key) ?? [];
        const last = list.at(-1);
        if (last && last.state === state) last.to = t + step;
        else list.push({ from: t, to: t + step, state });
        views.set(key, list);
      }
    }
  }
  for (const [key, segments] of views) {
    if (!key.endsWith('n2') && !key.endsWith('n4') && !key.startsWith('n4')) continue;
    rows.push([key, stateStrip(segments, span, width, { trusted: '·', suspected: '█', down: ' ' })]);
  }
  rows.push(['', timeAxis(span, width)]);
  return [
    `createFailureDetector(ctx, { heartbeatIntervalMs: ${options.heartbeatIntervalMs}, timeoutMs: ${options.timeoutMs} }), latency 5–40 ms;`,
    `from 3 s to 3.8 s one message in ten takes up to ${formatMs(620)} (a slow network, not a failure):`,
    '',
    labelled(rows),
    '',
    '"n1 → n2" is what n1 thinks of n2:  · trusted  █ suspected  (blank: the observer itself is down)',
  ].join('\n');
});
