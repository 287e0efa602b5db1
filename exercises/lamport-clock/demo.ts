// `learn-ds run lamport-clock`: your clocks stamping a run of four nodes, and the total order they give.
import { demo } from 'learn-ds/harness';
import { renderTimeline } from 'learn-ds/sim';
import { runExchange } from './tests/helpers.ts';
import { LamportClock, compareStamps } from 'learn-ds/subject/lamport-clock';

/** "e18's message (4, n1)": which send it came from and the stamp it carries. */
const short = (message: unknown) => {
  const m = message as { event?: string; stamp?: { time: number; node: string } };
  return m.stamp ? `${m.event}'s message (${m.stamp.time}, ${m.stamp.node})` : String(message);
};

demo('four nodes exchanging stamped messages (1–40 ms latency, some duplicated)', () => {
  const run = runExchange({ seed: 2, clock: (id) => new LamportClock(id) });
  const order = [...run.events].sort((a, b) => compareStamps(a.stamp, b.stamp));
  const first = order.slice(0, 24).map((e) => `${e.name} (${e.stamp.time}, ${e.stamp.node})`);
  const lines: string[] = [];
  for (let i = 0; i < first.length; i += 6) lines.push(`  ${i === 0 ? '  ' : '< '}${first.slice(i, i + 6).join(' < ')}`);
  return [
    'Each event is logged on its node as "eN what → stamp";',
    'arrows are messages, labelled with the stamp they carry as (time, node).',
    '',
    renderTimeline(run.sim.trace, { lanes: run.sim.ids, rows: 30, until: run.events[17]?.at ?? Infinity, describe: short }),
    '',
    `compareStamps puts all ${order.length} events in one order that respects every arrow.`,
    `The first ${first.length}, as (time, node):`,
    ...lines,
  ].join('\n');
});
