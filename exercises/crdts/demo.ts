// `learn-ds run crdts`: your replicas through a partition: what each one reads while they are cut
// apart, and how gossip brings them back together after the heal (add wins, nothing counted twice).
import { demo } from 'learn-ds/harness';
import { renderTimeline, type NodeId, type TraceEvent } from 'learn-ds/sim';
import { cluster, describeInput, describeMessage, type Input, type Read } from './tests/replicas.ts';

const showRead = (r: Read | undefined) => (r ? `${r.value} {${r.elements.join(', ')}}` : 'no answer');

demo('three replicas, a partition and the heal (gossip every 100 ms)', () => {
  const c = cluster({ seed: 3, nodes: 3 });
  const rows: string[] = [];
  const snapshot = (label: string) => {
    const reads = c.readAll();
    rows.push(`${label.padEnd(36)}${c.sim.ids.map((id) => showRead(reads.get(id)).padEnd(18)).join('')}`.trimEnd());
  };
  const step = (node: NodeId, input: Input) => {
    c.callAndWait('client', node, input);
    rows.push(`${''.padEnd(8)}${node}: ${describeInput(input)}`);
  };

  rows.push(`${''.padEnd(36)}${c.sim.ids.map((id) => id.padEnd(18)).join('')}`.trimEnd());
  step('n1', { op: 'add', delta: 5 });
  step('n1', { op: 'set_add', element: 'apple' });
  c.sim.runFor(500);
  snapshot(`${c.sim.now.toFixed(0)} ms, after gossip`);
  c.sim.partition(['n1'], ['n2', 'n3']);
  const cut = c.sim.now;
  rows.push(`${''.padEnd(8)}partition {n1} | {n2, n3}`);
  step('n1', { op: 'add', delta: 3 });
  step('n2', { op: 'add', delta: -2 });
  step('n2', { op: 'set_remove', element: 'apple' });
  step('n1', { op: 'set_add', element: 'apple' });
  step('n3', { op: 'set_add', element: 'ß' });
  c.sim.runFor(500);
  snapshot(`${c.sim.now.toFixed(0)} ms, still cut apart`);
  c.sim.heal();
  const healed = c.sim.now;
  rows.push(`${''.padEnd(8)}heal`);
  c.sim.runFor(100);
  snapshot(`${c.sim.now.toFixed(0)} ms, one gossip interval later`);
  c.sim.runFor(400);
  snapshot(`${c.sim.now.toFixed(0)} ms`);

  // The updates only: gossip and the demo's own reads left out.
  const clientOnly = (e: TraceEvent) =>
    (e.kind !== 'deliver' && e.kind !== 'drop') || ((e.message as { type?: string })?.type !== 'gossip' && e.from !== 'reader' && e.to !== 'reader');
  return [
    'Clients send updates to one replica each; each replica answers at once and gossips its whole state to',
    "the others every 100 ms. What each replica reads (counter value, set's elements):",
    '',
    ...rows,
    '',
    "n2 removed 'apple' while n1, cut off, added it again: after the heal 'apple' is back (add wins), and the",
    'counter reads 5 + 3 - 2 = 6 everywhere: each merge keeps the larger entry of each replica, never a sum.',
    '',
    'The client requests during the partition (gossip left out):',
    renderTimeline(c.sim.trace, { lanes: ['client', ...c.sim.ids], rows: 14, since: cut, until: healed, filter: clientOnly, describe: describeMessage }),
  ].join('\n');
});
