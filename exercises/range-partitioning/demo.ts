// `learn-ds run range-partitioning`: a range growing and splitting, then rebalanced over three nodes;
// and one move in the simulator, with a router still on the old map.
import { bar, demo, labelled } from 'learn-ds/harness';
import { History, SimClient, Simulation, renderTimeline, summarize } from 'learn-ds/sim';
import type { Message, PartitionMap, Range } from 'learn-ds/subject/range-partitioning';
import { createRangeNode, createRouter, findRange, rebalance, splitRange } from 'learn-ds/subject/range-partitioning';

const show = (r: Range) => `[${JSON.stringify(r.start)}, ${r.end === null ? 'null' : JSON.stringify(r.end)})`;

demo('splits as keys arrive, then a rebalance', () => {
  const maxKeys = 4;
  let ranges: Range[] = [{ start: '', end: null, owner: 'n1' }];
  const keys: string[] = [];
  const lines: string[] = [];
  // Sequential user ids and a few others, written one by one; a range over maxKeys splits at once.
  const arriving = ['user:1000', 'user:1001', 'Zoe', 'apple', 'user:1002', 'user:1003', 'ключ', 'user:1004', 'Bob', 'user:1005', 'mango', 'user:1006', 'éclair', 'user:1007'];
  for (const key of arriving) {
    keys.push(key);
    const range = findRange(ranges, key);
    const inside = keys.filter((k) => range.start <= k && (range.end === null || k < range.end));
    const parts = splitRange(range, inside, maxKeys);
    if (parts.length === 2) {
      ranges = ranges.flatMap((r) => (r.start === range.start ? parts : [r]));
      lines.push(`${JSON.stringify(key).padEnd(12)} ${show(range)} held ${inside.length} keys > ${maxKeys}: split at ${JSON.stringify(parts[1]!.start)}`);
    }
  }
  const nodes = ['n1', 'n2', 'n3'];
  const after = rebalance(ranges, nodes);
  const moved = after.filter((r, i) => r.owner !== ranges[i]!.owner).length;
  const count = (rs: readonly Range[], n: string) => rs.filter((r) => r.owner === n).length;
  return [
    `maxKeys ${maxKeys}; every range starts on n1:`,
    '',
    ...lines,
    '',
    `${ranges.length} ranges: ${ranges.map(show).join(' ')}`,
    '',
    `rebalance(ranges, ${JSON.stringify(nodes)}) moved ${moved} of ${ranges.length}:`,
    labelled(nodes.map((n) => [n, `${bar(count(after, n), ranges.length, 20)} ${count(after, n)} (before: ${count(ranges, n)})`])),
  ].join('\n');
});

function describe(message: unknown): string {
  const m = message as Message;
  switch (m.type) {
    case 'map': return `map epoch ${m.map.epoch}`;
    case 'redirect': return `redirect (map epoch ${m.map.epoch})`;
    case 'handoff': return `handoff ${JSON.stringify(m.start)} epoch ${m.epoch} (${Object.keys(m.data).length} keys)`;
    case 'handoff-ok': return `handoff-ok ${JSON.stringify(m.start)} epoch ${m.epoch}`;
    case 'read': return `read ${m.key} (epoch ${m.epoch})`;
    case 'write': return `write ${m.key}=${m.value} (epoch ${m.epoch})`;
    default: return summarize(message);
  }
}

demo('a range moves while a router still has the old map', () => {
  const first: PartitionMap = {
    epoch: 1,
    ranges: [{ start: '', end: 'M', owner: 'n1' }, { start: 'M', end: 'n', owner: 'n2' }, { start: 'n', end: null, owner: 'n3' }],
  };
  const sim = new Simulation<Message>({
    seed: 3, nodes: ['n1', 'n2', 'n3', 'r1', 'r2'], network: { latency: () => 5 },
    factory: (ctx) => (ctx.id.startsWith('r') ? createRouter(ctx, { map: structuredClone(first) }) : createRangeNode(ctx, { map: structuredClone(first) })),
  });
  sim.addClient('coordinator', () => {});
  const history = new History<string, unknown>();
  const c1 = new SimClient<string, unknown>(sim, 'c1', history, 500);
  const c2 = new SimClient<string, unknown>(sim, 'c2', history, 500);
  const answers: string[] = [];
  const said = (what: string) => (op: { returnTime: number; callTime: number; output: unknown }) =>
    answers.push(`${what}: ${Number.isFinite(op.returnTime) ? `${JSON.stringify(op.output)} after ${(op.returnTime - op.callTime).toFixed(0)} ms` : 'no answer'}`);
  c1.call('r1', { type: 'put', key: 'apple', value: 'red' }, 'put', (r) => r.type, said('c1 put apple=red through r1'));
  sim.runFor(30);
  const since = sim.now;
  const second: PartitionMap = { epoch: 2, ranges: first.ranges.map((r) => (r.start === 'M' ? { ...r, owner: 'n3' } : { ...r })) };
  sim.note('n2', 'map 2: [M, n) → n3');
  for (const id of ['n1', 'n2', 'n3']) sim.sendFrom('coordinator', id, { type: 'map', map: second });
  sim.runFor(1);
  c2.call('r2', { type: 'get', key: 'apple' }, 'get', (r) => r.value, said('c2 get apple through r2 (still on map 1)'));
  sim.runFor(60);
  return [
    "Map 2 moves ['M', 'n') from n2 to n3. n2 stops serving it and hands it off; r2, still on map 1, asks n2,",
    'is redirected with map 2, and asks n3, which serves once the handoff is in:',
    '',
    renderTimeline(sim.trace, { lanes: ['c2', 'r2', 'n2', 'n3', 'coordinator'], since, rows: 30, describe }),
    '',
    ...answers,
  ].join('\n');
});
