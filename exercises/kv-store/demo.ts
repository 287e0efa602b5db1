// `learn-ds run kv-store`: a put through a node outside the key's group (the forward, then the
// group's quorum wrapped in `replica` messages), and a Jepsen-style run of nine nodes under faults
// with where the keys ended up and the run's figures.
import { bar, demo, labelled, sparkline } from 'learn-ds/harness';
import { History, Simulation, kvClient, renderTimeline, startNemesis, summarize, type KvInput, type RegisterOutput, type TraceEvent } from 'learn-ds/sim';
import type { KvStoreNode, Message, StoreOptions } from 'learn-ds/subject/kv-store';
import { HashRing, createKvStoreNode } from 'learn-ds/subject/kv-store';

const IDS = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];
/** Nine groups of three neighbours: every node in three groups. */
const GROUPS: StoreOptions['groups'] = Object.fromEntries(IDS.map((_, i) => [`g${i + 1}`, [IDS[i]!, IDS[(i + 1) % 9]!, IDS[(i + 2) % 9]!]]));

function describe(message: unknown): string {
  const m = message as Message;
  if (m.type === 'replica') {
    const inner = m.message as { type: string; key?: string };
    return `${m.group}: ${inner.type}${inner.key === undefined ? '' : ` ${inner.key}`}`;
  }
  if (m.type === 'forward') return `forward ${m.request.type} ${m.request.key}`;
  return summarize(message);
}

function cluster(seed: number, antiEntropyIntervalMs: number, latency?: () => number) {
  const options: StoreOptions = { groups: GROUPS, quorum: { r: 2, w: 2, antiEntropyIntervalMs } };
  return new Simulation<Message, KvStoreNode>({
    seed, nodes: IDS, network: latency ? { latency } : {},
    factory: (ctx) => createKvStoreNode(ctx, structuredClone(options)),
  });
}

demo('a put through a node outside the key\'s group', () => {
  const ring = new HashRing();
  for (const g of Object.keys(GROUPS)) ring.add(g);
  const key = 'user:42';
  const group = ring.get(key)!;
  const members = GROUPS[group]!;
  const router = IDS.find((id) => !members.includes(id))!;
  const sim = cluster(3, 1_000_000, () => 4);
  const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
  const client = kvClient(sim, 'c1', history, { timeoutMs: 200 });
  client.put(router, key, 'a');
  sim.runFor(60);
  const op = history.ops[0]!;
  const skipSync = (e: TraceEvent) => !((e.kind === 'deliver' || e.kind === 'drop') && describe(e.message).endsWith('sync'));
  const sent = sim.trace.filter((e) => e.kind === 'deliver' && e.from !== 'c1').length;
  return [
    `ring.get(${JSON.stringify(key)}) = ${JSON.stringify(group)}, members ${members.join(', ')}; the client asks ${router}, not a member. Every message takes 4 ms:`,
    '',
    renderTimeline(sim.trace, { lanes: ['c1', router, ...members], rows: 24, filter: skipSync, describe }),
    '',
    Number.isFinite(op.returnTime)
      ? `put-ok after ${op.returnTime.toFixed(1)} ms and ${sent} messages from the nodes: the forward, the group's two quorum phases, the answer.`
      : 'the put was not answered within 200 ms.',
  ].join('\n');
});

demo('nine nodes under the nemesis: where keys live, availability, cost and latency', () => {
  const sim = cluster(11, 100);
  const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
  const keys = ['x', 'y', 'user:42', 'Ключ', 'cart-01', 'ORDER#7'];
  const until = 2_000;
  startNemesis(sim, { faults: ['partition', 'isolate', 'crash', 'pause', 'loss'], gapMs: [100, 400], durationMs: [200, 600], until });
  let messages = 0;
  sim.onSend((from) => {
    if (IDS.includes(from)) messages++;
  });
  let written = 0;
  for (let i = 1; i <= 4; i++) {
    const client = kvClient(sim, `c${i}`, history, { timeoutMs: 300 });
    const next = () => {
      if (sim.now >= until) return;
      const key = keys[Math.floor(sim.random() * keys.length)]!;
      const node = IDS[Math.floor(sim.random() * IDS.length)]!;
      const again = () => sim.after(sim.random() * 20, next);
      if (sim.random() < 0.5) client.put(node, key, `v${++written}`, again);
      else client.get(node, key, again);
    };
    sim.after(sim.random() * 20, next);
  }
  sim.runUntil(until + 400);
  const ops = history.ops;
  const answered = ops.filter((op) => Number.isFinite(op.returnTime));
  const latencies = answered.map((op) => op.returnTime - op.callTime).sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))] ?? 0;
  // Availability over time: answered / invoked, per 100 ms.
  const buckets = Array.from({ length: until / 100 }, (_, i) => {
    const inBucket = ops.filter((op) => op.callTime >= i * 100 && op.callTime < (i + 1) * 100);
    return inBucket.length === 0 ? 0 : inBucket.filter((op) => Number.isFinite(op.returnTime)).length / inBucket.length;
  });
  const held = IDS.map((id) => {
    const node = sim.isUp(id) ? sim.node(id) : undefined;
    const data = node?.replicas() ?? {};
    const count = Object.values(data).reduce((n, local) => n + Object.keys(local).length, 0);
    return [`${id} (${Object.keys(data).join(', ') || 'down'})`, `${bar(count, keys.length, 12)} ${count}`] as const;
  });
  return [
    'Keys held by each node\'s replicas (groups in brackets) after the faults:',
    labelled(held),
    '',
    `availability per 100 ms  ${sparkline(buckets, 1)}`,
    `operations answered      ${answered.length} of ${ops.length} (${((100 * answered.length) / Math.max(1, ops.length)).toFixed(1)}%)`,
    `messages per operation   ${(messages / Math.max(1, ops.length)).toFixed(1)} (anti-entropy included)`,
    `latency p50 / p99        ${q(0.5).toFixed(1)} ms / ${q(0.99).toFixed(1)} ms`,
  ].join('\n');
});
