// `learn-ds run quorum-kv`: the same story twice, with R + W ≤ N and with R + W > N. A put of "v2"
// completes while n3 is cut off; right after the partition heals, a client reads through n3.
import { demo } from 'learn-ds/harness';
import { History, SimClient, Simulation, renderTimeline, summarize, type TraceEvent } from 'learn-ds/sim';
import type { KvNode, Message } from 'learn-ds/subject/quorum-kv';
import { createKvNode } from 'learn-ds/subject/quorum-kv';

/** `write x = "v2" (2, n1)` rather than every field with its rid. */
function describe(message: unknown): string {
  const m = message as Message;
  const version = (s: { value?: unknown; version?: { counter?: unknown; node?: unknown } } | null | undefined) =>
    s ? `${JSON.stringify(s.value)} (${String(s.version?.counter)}, ${String(s.version?.node)})` : 'nothing';
  switch (m.type) {
    case 'read': return `read ${m.key}`;
    case 'read-ok': return `read-ok ${version(m.stored)}`;
    case 'write': return `write ${m.key} = ${version(m.stored)}`;
    case 'write-ok': return 'write-ok';
    default: return summarize(message);
  }
}

function story(r: number, w: number): string {
  const sim = new Simulation<Message, KvNode>({
    seed: 7, nodes: 3, network: { latency: () => 4 },
    factory: (ctx) => createKvNode(ctx, { r, w, antiEntropyIntervalMs: 1_000 }),
  });
  const history = new History<string, string | null | undefined>();
  const writer = new SimClient<string, string | null | undefined>(sim, 'c1', history, 200);
  const reader = new SimClient<string, string | null | undefined>(sim, 'c2', history, 200);
  const lines: string[] = [];
  const said = (what: string) => (op: { returnTime: number; output: string | null | undefined }) =>
    lines.push(Number.isFinite(op.returnTime) ? `${op.returnTime.toFixed(1).padStart(6)} ms  ${what}${op.output === undefined ? '' : ` → ${JSON.stringify(op.output)}`}` : `  no answer: ${what}`);

  writer.call('n1', { type: 'put', key: 'x', value: 'v1' }, 'put v1', () => undefined, said('c1: put x = "v1" through n1'));
  sim.runFor(50);
  const cut = sim.now;
  sim.partition(['n1', 'n2'], ['n3']);
  writer.call('n1', { type: 'put', key: 'x', value: 'v2' }, 'put v2', () => undefined, said('c1: put x = "v2" through n1 (n3 cut off)'));
  sim.runFor(50);
  sim.heal();
  reader.call('n3', { type: 'get', key: 'x' }, 'get', (reply) => reply.value as string | null, said('c2: get x through n3'));
  sim.runFor(50);

  const get = history.ops.at(-1)!;
  const verdict = get.output === 'v1'
    ? `A stale read: "v2" had been acknowledged, yet the get returned "v1". With R = ${r} and W = ${w}, R + W = ${r + w} ≤ N = 3: ` +
      'the put\'s write set {n1} and the get\'s read set {n3} share no replica.'
    : get.output === 'v2'
      ? `No stale read: R + W = ${r + w} > N = 3, so the get's ${r} answers include a replica that stored "v2" (and it writes "v2" back before answering).`
      : `The get returned ${JSON.stringify(get.output)}.`;
  const skipSync = (e: TraceEvent) => !((e.kind === 'deliver' || e.kind === 'drop') && (e.message as Message).type === 'sync');
  return [
    `createKvNode(ctx, { r: ${r}, w: ${w}, antiEntropyIntervalMs: 1000 }), N = 3, every message 4 ms:`,
    '',
    renderTimeline(sim.trace, { lanes: ['c1', 'n1', 'n2', 'n3', 'c2'], since: cut, rows: 36, filter: skipSync, describe }),
    '',
    ...lines,
    '',
    verdict,
  ].join('\n');
}

demo('R = 1, W = 1 (R + W ≤ N): a stale read', () => story(1, 1));
demo('R = 2, W = 2 (R + W > N): the read sees the write', () => story(2, 2));
