/**
 * Helpers for the gossip-broadcast suite: a cluster of the learner's nodes on links of a fixed
 * latency, clients that broadcast values to random nodes, and a record of every delivery and of
 * every message between nodes. Checked as they happen: a value delivered twice by one node, a value
 * no client broadcast, and a message storm (far more messages than any broadcast could need).
 */
import { show, simulate } from 'learn-ds/harness';
import type { NetworkOptions, NodeId, SimNode, Simulation } from 'learn-ds/sim';
import type { Message } from 'learn-ds/subject/gossip-broadcast';
import { createBroadcastNode } from 'learn-ds/subject/gossip-broadcast';

export type Sim = Simulation<Message, SimNode<Message>>;

export const NODES = 25;
export const LATENCY_MS = 100;
/** Beyond this many messages between nodes per broadcast (plus an allowance per node and second), the run is a storm. */
const STORM_PER_BROADCAST = 1_000;
const STORM_PER_NODE_SECOND = 100;

export interface Cluster {
  sim: Sim;
  /** Values asked to be broadcast, with when and to which node. */
  broadcasts: Array<{ value: number; node: NodeId; at: number; acked: boolean }>;
  /** value → node → when it delivered it. */
  deliveries: Map<number, Map<NodeId, number>>;
  /** Messages sent from a node to a node, with their send times. */
  sent: number[];
  /** Sends `value` from a client to `node`. */
  broadcast(node: NodeId, value: number): void;
  /** Values some node delivered or acknowledged (these must reach everyone). */
  accepted(): number[];
  /** For each value in `values`, the nodes among `among` that have not delivered it. */
  missing(values: readonly number[], among?: readonly NodeId[]): Array<{ value: number; nodes: NodeId[] }>;
}

export interface ClusterOptions {
  seed: number;
  nodes?: number;
  network?: Partial<NetworkOptions>;
}

/** "n3, n7, n12 and 4 others". */
export function list(nodes: readonly string[], max = 5): string {
  if (nodes.length <= max) return nodes.join(', ');
  return `${nodes.slice(0, max).join(', ')} and ${nodes.length - max} others`;
}

export function describeMessage(message: unknown): string {
  const m = message as Record<string, unknown>;
  if (typeof m !== 'object' || m === null) return show(message);
  if (m.type === 'broadcast') return `broadcast ${show(m.value)}`;
  const parts = Object.entries(m)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? (v.length > 4 ? `[${v.slice(0, 4).join(',')},…${v.length}]` : `[${v.join(',')}]`) : show(v)}`);
  return [String(m.type ?? '?'), ...parts].join(' ');
}

export function cluster(opts: ClusterOptions): Cluster {
  const deliveries = new Map<number, Map<NodeId, number>>();
  const broadcasts: Cluster['broadcasts'] = [];
  const asked = new Set<number>();
  const sent: number[] = [];
  const pending = new Map<number, number>(); // msgId → index in broadcasts
  let nextMsgId = 1;

  const sim: Sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: opts.nodes ?? NODES,
    network: { latency: () => LATENCY_MS, loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) =>
      createBroadcastNode(ctx, {
        deliver(value: number) {
          if (!asked.has(value)) {
            sim.violation(`${ctx.id} delivered ${show(value)}, which no client broadcast; deliver only the values of broadcast requests, as they were sent`, [ctx.id]);
          }
          const at = deliveries.get(value) ?? new Map<NodeId, number>();
          deliveries.set(value, at);
          const before = at.get(ctx.id);
          if (before !== undefined) {
            sim.violation(
              `${ctx.id} delivered ${show(value)} twice: first at ${before.toFixed(1)} ms, again at ${sim.now.toFixed(1)} ms; ` +
                'deliver a value only the first time it reaches the node: remember the values you have, and ignore one that comes again',
              [ctx.id],
            );
          }
          at.set(ctx.id, sim.now);
        },
      }),
  });
  const ids = new Set(sim.ids);

  sim.onSend((from, to) => {
    if (!ids.has(from) || !ids.has(to)) return;
    sent.push(sim.now);
    const budget = STORM_PER_BROADCAST * Math.max(1, broadcasts.length) + STORM_PER_NODE_SECOND * ids.size * Math.max(1, sim.now / 1000);
    if (sent.length > budget) {
      sim.violation(
        `message storm: the nodes have sent each other ${sent.length} messages in ${(sim.now / 1000).toFixed(1)} s for ${broadcasts.length} broadcast value${broadcasts.length === 1 ? '' : 's'}; ` +
          'forward a value only the first time you see it (a node that passes on every copy it receives makes the copies multiply forever), and send a value to a node again only until it has it',
        [from],
      );
    }
  });

  sim.addClient('client', (_from, message) => {
    const reply = message as unknown as { type?: unknown; inReplyTo?: unknown };
    const index = typeof reply.inReplyTo === 'number' ? pending.get(reply.inReplyTo) : undefined;
    if (index === undefined) return;
    pending.delete(reply.inReplyTo as number);
    const b = broadcasts[index]!;
    if (reply.type !== 'broadcast_ok') {
      sim.violation(`${b.node} answered the broadcast of ${show(b.value)} with ${show(message)}; expected { type: 'broadcast_ok', inReplyTo: ${String(reply.inReplyTo)} }`, [b.node]);
    }
    b.acked = true;
  });

  sim.start();
  return {
    sim, broadcasts, deliveries, sent,
    broadcast(node, value) {
      asked.add(value);
      const msgId = nextMsgId++;
      pending.set(msgId, broadcasts.length);
      broadcasts.push({ value, node, at: sim.now, acked: false });
      // Requests are never duplicated (replies and gossip may be): delivering a value twice
      // would then be the network's doing.
      const network = sim.network;
      sim.network = { ...network, duplicate: 0 };
      try {
        sim.sendFrom('client', node, { type: 'broadcast', msgId, value });
      } finally {
        sim.network = network;
      }
    },
    accepted() {
      const values = new Set<number>();
      for (const b of broadcasts) if (b.acked) values.add(b.value);
      for (const [value, at] of deliveries) if (at.size > 0) values.add(value);
      return [...values];
    },
    missing(values, among = sim.ids) {
      const out: Array<{ value: number; nodes: NodeId[] }> = [];
      for (const value of values) {
        const at = deliveries.get(value);
        const nodes = among.filter((n) => !at?.has(n));
        if (nodes.length > 0) out.push({ value, nodes });
      }
      return out;
    },
  };
}

/** Values of several shapes: 0, negatives, large ones, in no particular order; all distinct. */
export function valuesFor(random: () => number, count: number): number[] {
  const out = new Set<number>([0]);
  while (out.size < count) {
    const roll = random();
    const v = roll < 0.2 ? -Math.floor(random() * 1e6) : roll < 0.3 ? Math.floor(random() * 2 ** 40) : Math.floor(random() * 10_000);
    out.add(v);
  }
  return [...out];
}

/** Runs until every value in `values` has reached every node of `among`, or `withinMs` pass; returns when, or undefined. */
export function awaitEverywhere(c: Cluster, values: readonly number[], withinMs: number, among: readonly NodeId[] = c.sim.ids): number | undefined {
  return c.sim.runUntilTrue(everywhere(c, values, among), withinMs);
}

/** A predicate, cheap enough to check after every event: has every value in `values` reached every node of `among`? */
export function everywhere(c: Cluster, values: readonly number[], among: readonly NodeId[] = c.sim.ids): () => boolean {
  // Look at one value not yet everywhere, and move on once it is.
  const remaining = [...values];
  const done = (v: number) => {
    const at = c.deliveries.get(v);
    return at !== undefined && at.size >= among.length && among.every((n) => at.has(n));
  };
  return () => {
    while (remaining.length > 0 && done(remaining[remaining.length - 1]!)) remaining.pop();
    return remaining.length === 0;
  };
}

/** "42 has not reached n3, n7; -17 has not reached n12 (and 3 more values missing somewhere)". */
export function describeMissing(missing: ReadonlyArray<{ value: number; nodes: NodeId[] }>): string {
  const shown = missing.slice(0, 3).map((m) => `${show(m.value)} has not reached ${list(m.nodes)}`);
  return shown.join('; ') + (missing.length > 3 ? ` (and ${missing.length - 3} more values are missing somewhere)` : '');
}
