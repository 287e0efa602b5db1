/**
 * Helpers for the kv-store suite: a cluster of the learner's store nodes (each hosting one quorum
 * replica per group it is a member of), clients with a history, and the rules checked on every send:
 * - messages between replicas of a group travel only between members of that group;
 * - a node answers a client's put-ok, or get-ok with a value, only once W members of the key's
 *   group hold that version (or a newer one).
 * Where keys live (the ring of group ids), the clients' history (per-key linearizability) and the
 * figures of a run (availability, messages per operation, latency) are read at the end.
 */
import { show, simulate } from 'learn-ds/harness';
import {
  History, kvClient, uniformLatency, kvLinearizabilityProblem,
  type KvClient, type KvInput, type NetworkOptions, type NodeId, type Operation, type RegisterOutput, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { GroupId, KvStoreNode, Message, StoreOptions, Stored } from 'learn-ds/subject/kv-store';
import { HashRing, createKvStoreNode } from 'learn-ds/subject/kv-store';

export type Sim = Simulation<Message, SimNode<Message>>;
export type Input = KvInput<string | null>;
export type Output = RegisterOutput<string | null>;
export type Op = Operation<Input, Output>;
export type Client = KvClient<Output>;
type Version = Stored['version'];

/** Nine node ids of several shapes, and group ids of several shapes. */
const ID_SETS: readonly (readonly NodeId[])[] = [
  ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'],
  ['alpha', 'Bravo', 'charlie', 'Délta', 'echo', 'Foxtrot', 'golf', 'Hôtel', 'india'],
  ['node-10', 'node-2', 'NODE-3', 'nœud-4', 'node-5', 'узел-6', 'node-7', 'node-8', 'node-9'],
];
const GROUP_NAMES: readonly ((i: number) => GroupId)[] = [(i) => `g${i + 1}`, (i) => `shard-${'ABCDEFGHI'[i]}`, (i) => `Группа-${i + 1}`];

/** Keys of several shapes. */
export const KEYS = ['x', 'user:42', 'Clé', 'Ключ', 'user:1000', 'k-3f9a', 'ORDER#7', '購物車', 'y', 'user:43', 'cart-01', 'cart-02'] as const;

export type Topology = 'overlapping' | 'disjoint';

/**
 * Nine nodes. Overlapping: nine groups of three neighbours (every node in three groups, as the
 * successors of a ring). Disjoint: three groups of three (every node in one).
 */
export function layout(seed: number, topology: Topology): { ids: NodeId[]; groups: Record<GroupId, NodeId[]> } {
  const ids = [...ID_SETS[seed % ID_SETS.length]!];
  const name = GROUP_NAMES[Math.floor(seed / 3) % GROUP_NAMES.length]!;
  const groups: Record<GroupId, NodeId[]> = {};
  if (topology === 'overlapping') {
    for (let i = 0; i < ids.length; i++) groups[name(i)] = [ids[i]!, ids[(i + 1) % ids.length]!, ids[(i + 2) % ids.length]!];
  } else {
    for (let i = 0; i < 3; i++) groups[name(i)] = ids.slice(3 * i, 3 * i + 3);
  }
  return { ids, groups };
}

export function compare(a: Version, b: Version): number {
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export interface ClusterOptions {
  seed: number;
  topology: Topology;
  network?: Partial<NetworkOptions>;
  /** Default 100 ms. */
  antiEntropyIntervalMs?: number;
  /** Client requests time out after this long (default 400 ms): their outcome is then unknown. */
  clientTimeoutMs?: number;
}

export interface Cluster {
  sim: Sim;
  ids: NodeId[];
  groups: Record<GroupId, NodeId[]>;
  options: StoreOptions;
  history: History<Input, Output>;
  /** The node each operation (by op id) was sent to. */
  via: Map<number, NodeId>;
  /** Every message a node sent. */
  sent: Sent[];
  /** The key's group: `ring.get(key)` on a HashRing (the learner's) holding every group id. */
  groupOf(key: string): GroupId;
  /** A node's replicas() (checked), undefined while it is down. */
  replicas(id: NodeId): Record<GroupId, Record<string, Stored>> | undefined;
  /** A client; a droppable one's operations are steps that shrinking may leave out (a random workload's). */
  client(id: NodeId, droppable?: boolean): Client;
}

function isStored(x: unknown): x is Stored {
  const s = x as Partial<Stored> | null;
  return typeof s === 'object' && s !== null && typeof s.value === 'string' && typeof s.version === 'object' && s.version !== null &&
    typeof s.version.counter === 'number' && typeof s.version.node === 'string';
}

export const list = (ids: readonly string[]): string => (ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`);

export function cluster(opts: ClusterOptions): Cluster {
  const { ids, groups } = layout(opts.seed, opts.topology);
  const options: StoreOptions = { groups, quorum: { r: 2, w: 2, antiEntropyIntervalMs: opts.antiEntropyIntervalMs ?? 100 } };
  const ring = new HashRing();
  for (const g of Object.keys(groups)) ring.add(g);
  const groupOf = (key: string): GroupId => ring.get(key) as GroupId;
  const history = new History<Input, Output>();
  const via = new Map<number, NodeId>();
  const sent: Sent[] = [];
  /**
   * The oldest version each value was written with. A put the network duplicates may be coordinated
   * twice, by two members, giving one value two versions: its answer is right once W members hold
   * either (or something newer).
   */
  const versionOf = new Map<string, Version>();
  const noteVersion = (value: string, version: Version) => {
    const seen = versionOf.get(value);
    if (seen === undefined || compare(version, seen) < 0) versionOf.set(value, { counter: version.counter, node: version.node });
  };
  /** What each node's replicas held after its last event (a crashed node: what it held then). */
  const known = new Map<NodeId, Record<GroupId, Record<string, Stored>>>();
  const requests = new Map<string, { type: string; key: string; value?: string }>();
  const problems: string[] = [];
  /**
   * Every request as it was sent (a client's get or put, a forward), the very object the network
   * delivers; the second copy of one the network duplicates is another object, and is not delivered.
   * The statement does not ask a node to recognise a request it has already served, and a put served
   * twice, far apart (its first coordinator's read waiting on a paused member), lands after a later put.
   */
  const sentRequests = new WeakSet<object>();
  const isRequest = (message: unknown): boolean => {
    const type = (message as { type?: unknown } | null)?.type;
    return type === 'get' || type === 'put' || type === 'forward';
  };
  let sim!: Sim;

  const problem = (text: string, lane?: NodeId, note?: string) => {
    if (problems.length > 0) return;
    problems.push(text);
    if (lane && note) sim.note(lane, `✗ ${note}`);
  };

  const readReplicas = (id: NodeId, node: KvStoreNode): Record<GroupId, Record<string, Stored>> => {
    let data: unknown;
    try {
      data = node.replicas();
    } catch (error) {
      return sim.violation(`${id}.replicas() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [id]);
    }
    if (typeof data !== 'object' || data === null) return sim.violation(`${id}.replicas() returned ${show(data)}; expected an object { group: { key: { value, version } } }`, [id]);
    const copy: Record<GroupId, Record<string, Stored>> = {};
    for (const [group, local] of Object.entries(data)) {
      if (typeof local !== 'object' || local === null) return sim.violation(`${id}.replicas() holds ${show(local)} for group ${show(group)}; expected that replica's local(), an object { key: { value, version } }`, [id]);
      copy[group] = {};
      for (const [key, s] of Object.entries(local as Record<string, unknown>)) {
        if (!isStored(s)) return sim.violation(`${id}.replicas() holds ${show(s)} for key ${show(key)} of group ${show(group)}; expected { value: string, version: { counter: number, node: string } }`, [id]);
        copy[group]![key] = { value: s.value, version: { counter: s.version.counter, node: s.version.node } };
        noteVersion(s.value, copy[group]![key]!.version);
      }
    }
    return copy;
  };

  const holders = (key: string, version: Version): NodeId[] => {
    const group = groupOf(key);
    return (groups[group] ?? []).filter((id) => {
      const data = sim.isUp(id) ? readReplicas(id, sim.node(id) as unknown as KvStoreNode) : known.get(id);
      const s = data?.[group]?.[key];
      return s !== undefined && compare(s.version, version) >= 0;
    });
  };

  /** The groups whose replicas (on any node, up or last known) hold `value` for `key`. */
  const groupsHolding = (key: string, value: string): GroupId[] => {
    const found = new Set<GroupId>();
    for (const id of ids) {
      const data = sim.isUp(id) ? readReplicas(id, sim.node(id) as unknown as KvStoreNode) : known.get(id);
      for (const [g, local] of Object.entries(data ?? {})) if (local[key]?.value === value) found.add(g);
    }
    return [...found];
  };
  const membersOf = (g: GroupId): NodeId[] => groups[g] ?? [];

  /** A node answers a client: the version it confirms must be on W members of the key's group. */
  const onAnswer = (from: NodeId, to: NodeId, m: { type?: unknown; inReplyTo?: unknown; value?: unknown }) => {
    const request = requests.get(`${to}/${String(m.inReplyTo)}`);
    if (request === undefined) return;
    if (m.type === 'get-ok' && m.value === null) return;
    const value = m.type === 'put-ok' ? request.value : m.value;
    if (typeof value !== 'string') return; // a malformed answer is reported by the client
    const group = groupOf(request.key);
    const w = options.quorum.w;
    const what = m.type === 'put-ok' ? `put-ok for ${show(request.key)} = ${show(value)}` : `get-ok ${show(value)} for ${show(request.key)}`;
    const version = versionOf.get(value);
    const have = version === undefined ? [] : holders(request.key, version);
    if (have.length < w) {
      const elsewhere = groupsHolding(request.key, value).filter((g) => g !== group);
      if (elsewhere.length > 0) {
        problem(
          `${from} sent ${what} to client ${to}, but ${show(value)} was stored in the replicas of group ${list(elsewhere.map((g) => show(g)))} (${list(membersOf(elsewhere[0]!))}), ` +
            `while ${show(request.key)}'s group is ${show(group)} (${list(groups[group] ?? [])}): ring.get(${show(request.key)}) on a HashRing holding every group id, ` +
            `the same ring on every node whatever groups the node itself is in`,
          from, `${show(request.key)} stored in the wrong group`,
        );
        return;
      }
      problem(
        `${from} sent ${what} to client ${to} while ${have.length === 0 ? 'no member' : `only ${list(have)}`} of ${show(request.key)}'s group ${show(group)} (${list(groups[group] ?? [])}) held it: ` +
          `answer only once W = ${w} members of the group have stored it, that is, when the group's replica that coordinates the request answers (before W, an answer can be lost with the replica that held it)`,
        from, `${String(m.type)} before W = ${w} members hold it`,
      );
    }
  };

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: ids,
    network: { latency: uniformLatency(1, 10), loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      const id = ctx.id;
      const node = createKvStoreNode(ctx, structuredClone(options));
      known.set(id, readReplicas(id, node));
      return {
        receive(from, message) {
          if (isRequest(message) && !sentRequests.has(message as object)) return; // the network's second copy
          node.receive(from, message);
          if (sim.isUp(id)) known.set(id, readReplicas(id, node));
        },
        replicas: () => node.replicas(),
      } as SimNode<Message>;
    },
  });

  sim.onSend((from, to, message) => {
    const m = message as { type?: unknown; msgId?: unknown; key?: unknown; value?: unknown; group?: unknown; message?: unknown; inReplyTo?: unknown };
    if (isRequest(message)) sentRequests.add(message as object);
    if (!ids.includes(from)) {
      if ((m.type === 'get' || m.type === 'put') && typeof m.key === 'string') {
        requests.set(`${from}/${String(m.msgId)}`, { type: m.type, key: m.key, ...(typeof m.value === 'string' ? { value: m.value } : {}) });
      }
      return;
    }
    sent.push({ t: sim.now, from, to, message });
    if (m.type === 'replica') {
      const group = String(m.group);
      const members = groups[group];
      if (members === undefined) {
        problem(`${from} sent a replica message of group ${show(m.group)} to ${to}; there is no such group (the groups are ${list(Object.keys(groups).map((g) => show(g)))})`, from, `a message of no group`);
      } else if (!members.includes(to)) {
        problem(`${from} sent a message of group ${show(group)}'s replicas (${summarizeInner(m.message)}) to ${to}, which is not a member of ${show(group)} (its members: ${list(members)}): ` +
          `each replica runs with a context whose peers are the other members of its group only, not every node of the cluster`, from, `${show(group)} message to non-member ${to}`);
      }
      const inner = m.message as { type?: unknown; stored?: unknown };
      if (inner?.type === 'write' && isStored(inner.stored)) noteVersion(inner.stored.value, inner.stored.version);
    }
    if ((m.type === 'put-ok' || m.type === 'get-ok') && !ids.includes(to)) onAnswer(from, to, m);
  });
  sim.invariant('replica messages stay within their group, and answers wait for W members of the key\'s group', () => problems[0]);

  return {
    sim, ids, groups, options, history, via, sent, groupOf,
    replicas(id) {
      if (!sim.isUp(id)) return undefined;
      return readReplicas(id, sim.node(id) as unknown as KvStoreNode);
    },
    client: (id, droppable = false) => kvClient<Output>(sim, id, history, { timeoutMs: opts.clientTimeoutMs ?? 400, sentTo: (op, node) => via.set(op, node), droppable }),
  };
}

function summarizeInner(message: unknown): string {
  const m = message as { type?: unknown } | null;
  return typeof m?.type === 'string' ? m.type : show(message);
}

// ── where keys live ────────────────────────────────────────────────────────────────────────

/** A node's replicas must be one per group it is a member of, each holding only its group's keys. */
export function placementProblem(c: Cluster, id: NodeId, when = ''): string | undefined {
  const data = c.replicas(id);
  if (data === undefined) return undefined;
  const mine = Object.keys(c.groups).filter((g) => c.groups[g]!.includes(id)).sort();
  const has = Object.keys(data).sort();
  if (mine.join('\u0000') !== has.join('\u0000')) {
    return `${id}.replicas()${when} has replicas of ${has.length === 0 ? 'no group' : list(has.map((g) => show(g)))}; ${id} is a member of ${list(mine.map((g) => show(g)))}: ` +
      `a node runs one replica (createKvNode) for each group it is a member of, and none for the others`;
  }
  for (const group of has) {
    for (const key of Object.keys(data[group]!)) {
      const owner = c.groupOf(key);
      if (owner !== group) {
        return `${id}'s replica of group ${show(group)} holds ${show(key)}${when}, a key of group ${show(owner)} (ring.get(${show(key)}) on a HashRing holding every group id): ` +
          `route every key with one ring of all the groups, the same on every node, and keep each replica's data apart (its own part of ctx.storage)`;
      }
    }
  }
  return undefined;
}

// ── the history ────────────────────────────────────────────────────────────────────────────

export function describeOp(c: Cluster, op: Op): string {
  const node = c.via.get(op.id) ?? '?';
  const span = `invoked at ${op.callTime.toFixed(1)} ms${Number.isFinite(op.returnTime) ? `, answered at ${op.returnTime.toFixed(1)} ms` : ', never answered'}`;
  return op.input.kind === 'write'
    ? `put ${show(op.input.key)} = ${show(op.input.value)} through ${node} (${span})`
    : `get ${show(op.input.key)} through ${node} → ${show(op.output)} (${span})`;
}

/** A read that missed a put completed before it began, if any. */
export function staleRead(c: Cluster): { get: Op; missed: Op; source: Op | undefined } | undefined {
  const ops = c.history.ops;
  const puts = new Map<string, Op>();
  for (const op of ops) if (op.input.kind === 'write') puts.set(op.input.value as string, op);
  for (const g of ops) {
    if (g.input.kind !== 'read' || !Number.isFinite(g.returnTime)) continue;
    const source = g.output === null ? undefined : puts.get(g.output as string);
    const missed = ops.find((p) => p.input.kind === 'write' && p.input.key === g.input.key && p.returnTime < g.callTime &&
      (source === undefined || p.callTime > source.returnTime));
    if (missed) return { get: g, missed, source };
  }
  return undefined;
}

/** What is wrong with the clients' history, if anything: a stale read, or no linearization of a key's operations. */
export function historyProblem(c: Cluster): string | undefined {
  const stale = staleRead(c);
  if (stale) {
    const { get, missed, source } = stale;
    return `stale read: ${describeOp(c, get)}, but ${describeOp(c, missed)} had completed before this get began` +
      (source ? `, and began after the put of ${show(get.output)} had completed` : '') +
      `. A get goes through the quorum of the key's group (group ${show(c.groupOf(get.input.key as string))}: ${list(c.groups[c.groupOf(get.input.key as string)]!)}), never one replica's own copy alone`;
  }
  return kvLinearizabilityProblem(c.history.ops, null);
}

export function expectLinearizable(c: Cluster): void {
  const p = historyProblem(c);
  if (p !== undefined) c.sim.violation(p);
}

/** A quantile of sorted numbers (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Messages that carry a request (not anti-entropy), sent between `from` and `to` (true time). */
export function requestMessages(c: Cluster, from: number, to: number): number {
  let n = 0;
  for (const s of c.sent) {
    if (s.t < from || s.t > to) continue;
    const m = s.message as { type?: unknown; message?: { type?: unknown } };
    if (m.type === 'replica' && m.message?.type === 'sync') continue;
    n++;
  }
  return n;
}
