/**
 * Helpers for the range-partitioning suite: a cluster of the learner's storage nodes and routers,
 * the coordinator (played by the suite: it moves one range at a time, and only once the range's
 * previous move is done, and sends every new map to the storage nodes), clients with a history,
 * and the rules checked after every event:
 * - a node answers a read or a write of a range only while it holds it: the first owner until it
 *   sends the range's handoff, a new owner from the moment it acknowledges the handoff;
 * At the end, the clients' history is checked: no lost or stale write, then per-key linearizability.
 */
import { show, simulate } from 'learn-ds/harness';
import {
  History, kvClient, kvLinearizabilityProblem,
  type KvClient, type KvInput, type NodeContext, type NodeId, type Operation, type RegisterOutput, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { Message, NodeStatus, PartitionMap, Range, RangeNode } from 'learn-ds/subject/range-partitioning';
import { createRangeNode, createRouter } from 'learn-ds/subject/range-partitioning';

export type { Message, NodeStatus, PartitionMap, Range };
export type Sim = Simulation<Message, SimNode<Message>>;
export type Input = KvInput<string | null>;
export type Output = RegisterOutput<string | null>;
export type Op = Operation<Input, Output>;
export type Client = KvClient<Output>;

export const COORDINATOR = 'coordinator';

/** The ranges of every simulated cluster start here: mixed case, a key equal to a start, non-ASCII. */
export const STARTS = ['', 'M', 'n', 'user:', 'ключ'] as const;
/** Keys of every shape, two in each range; '', 'M', 'n', 'user:' and 'ключ' are starts themselves. */
export const KEYS = ['', 'Apple', 'M', 'apple', 'n', 'open', 'user:', 'user:42', 'ключ', 'ключи'] as const;

const NODE_SETS: readonly (readonly NodeId[])[] = [
  ['n1', 'n2', 'n3', 'n4'],
  ['alpha', 'Bravo', 'charlie', 'Délta'],
  ['node-10', 'node-2', 'NODE-3', 'nœud-4'],
];
const ROUTER_SETS: readonly (readonly NodeId[])[] = [
  ['r1', 'r2'],
  ['router-a', 'Router-B'],
  ['маршрут-1', 'route-2'],
];

export function idsFor(seed: number, n: number): { nodes: NodeId[]; routers: NodeId[] } {
  return { nodes: NODE_SETS[seed % NODE_SETS.length]!.slice(0, n), routers: [...ROUTER_SETS[seed % ROUTER_SETS.length]!] };
}

/** The suite's own lookup (the learner's findRange is judged apart). */
export function rangeOf(ranges: readonly Range[], key: string): Range {
  return ranges.find((r) => r.start <= key && (r.end === null || key < r.end))!;
}

export function showRange(r: Pick<Range, 'start' | 'end'>): string {
  return `[${show(r.start)}, ${r.end === null ? 'null' : show(r.end)})`;
}

export function firstMap(owners: readonly NodeId[]): PartitionMap {
  return {
    epoch: 1,
    ranges: STARTS.map((start, i) => ({ start, end: STARTS[i + 1] ?? null, owner: owners[i % owners.length]! })),
  };
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export interface Cluster {
  sim: Sim;
  nodes: NodeId[];
  routers: NodeId[];
  /** Every map the coordinator made, by epoch (index 0: none). */
  maps: PartitionMap[];
  map(): PartitionMap;
  history: History<Input, Output>;
  via: Map<number, NodeId>;
  sent: Sent[];
  status(id: NodeId): NodeStatus | undefined;
  /** The coordinator moves the range starting at `start` to `to`: a new map, sent to every storage node. */
  move(start: string, to: NodeId): PartitionMap;
  /** Whether the latest move of the range starting at `start` is done (its new owner acknowledged the handoff). */
  settled(start: string): boolean;
  /** The coordinator sends its latest map to every storage node again. */
  broadcast(): void;
  client(id: NodeId, timeoutMs?: number): Client;
  /** Learner sends that `rule` accepts are held instead of sent (returned by `release`). */
  hold(rule: (from: NodeId, to: NodeId, message: Message) => boolean): void;
  release(): Sent[];
}

function isStatus(x: unknown): x is NodeStatus {
  const s = x as Partial<NodeStatus> | null;
  return typeof s === 'object' && s !== null && typeof s.epoch === 'number' && Array.isArray(s.serving);
}

export function cluster(opts: {
  seed: number;
  nodes: readonly NodeId[];
  routers: readonly NodeId[];
  owners?: readonly NodeId[];
  network?: Parameters<typeof simulate>[0]['network'];
  /** The coordinator sends its map again every so many ms (default: never). */
  rebroadcastMs?: number;
}): Cluster {
  const nodes = [...opts.nodes];
  const routers = [...opts.routers];
  const first = firstMap(opts.owners ?? nodes);
  const maps: PartitionMap[] = [{ epoch: 0, ranges: [] }, first];
  const history = new History<Input, Output>();
  const via = new Map<number, NodeId>();
  const sent: Sent[] = [];
  /** What each request id asked for, from the routers' sends. */
  const requests = new Map<string, { key: string; value?: string }>();
  /** The ranges each node may serve now, from what it sent: its first ranges, then handoffs given and taken. */
  const holds = new Map<NodeId, Set<string>>(nodes.map((id) => [id, new Set(first.ranges.filter((r) => r.owner === id).map((r) => r.start))]));
  const gaveAt = new Map<string, { t: number; epoch: number }>();
  /** The epoch of each range's latest move, and whether its new owner took it. */
  const moves = new Map<string, { to: NodeId; epoch: number; done: boolean }>();
  const problems: string[] = [];
  /** Answers from a node not holding the range when it sent them: a problem unless it took the range in the same event. */
  const suspects: Array<{ node: NodeId; start: string; what: string }> = [];
  let holding: ((from: NodeId, to: NodeId, message: Message) => boolean) | undefined;
  let held: Sent[] = [];
  let sim!: Sim;

  const problem = (text: string, lane: NodeId, note: string) => {
    if (problems.length > 0) return;
    problems.push(text);
    sim.note(lane, `✗ ${note}`);
  };

  const onSend = (from: NodeId, to: NodeId, message: Message) => {
    const m = message as Partial<Record<string, unknown>> & { type?: unknown };
    if ((m.type === 'read' || m.type === 'write') && typeof m.id === 'string' && typeof m.key === 'string' && !requests.has(m.id)) {
      requests.set(m.id, { key: m.key, ...(typeof m.value === 'string' ? { value: m.value } : {}) });
    }
    if (!nodes.includes(from)) return;
    const mine = holds.get(from)!;
    if (m.type === 'handoff' && typeof m.start === 'string') {
      if (mine.delete(m.start)) gaveAt.set(`${from}\u0000${m.start}`, { t: sim.now, epoch: Number(m.epoch) });
    }
    if (m.type === 'handoff-ok' && typeof m.start === 'string') {
      mine.add(m.start);
      const move = moves.get(m.start);
      if (move && move.to === from && Number(m.epoch) >= move.epoch) move.done = true;
    }
    if ((m.type === 'read-ok' || m.type === 'write-ok') && typeof m.id === 'string') {
      const request = requests.get(m.id);
      if (request === undefined) return;
      const range = rangeOf(maps[1]!.ranges, request.key);
      if (mine.has(range.start)) return;
      // Judged once the event is over: a node may take a handoff and serve what waited for it in one handler.
      suspects.push({ node: from, start: range.start, what: m.type === 'read-ok' ? `a read of ${show(request.key)} (answered ${show(m.value)})` : `a write of ${show(request.key)} = ${show(request.value)}` });
    }
  };

  const judge = (): string | undefined => {
    for (const { node, start, what } of suspects.splice(0)) {
      if (holds.get(node)!.has(start)) continue;
      const range = rangeOf(maps[1]!.ranges, start);
      const gave = gaveAt.get(`${node}\u0000${start}`);
      if (gave !== undefined) {
        problem(`${node} served ${what} in range ${showRange(range)} after it had handed that range off (its handoff of epoch ${gave.epoch} went out at ${gave.t.toFixed(1)} ms): ` +
          `the old owner stops serving a range the moment a map moves it away, before it sends the handoff; from then on it answers redirect (or busy), ` +
          `or a stale router reads old data and writes that the new owner never sees are lost`, node, 'old owner served after handoff');
      } else {
        problem(`${node} served ${what} in range ${showRange(range)} before it had taken that range's handoff: ` +
          `a new owner serves a range only once the old owner's handoff (its data and applied ids) has arrived and been taken, answering busy meanwhile; ` +
          `serving early returns data that is not there yet, and the handoff then overwrites (loses) the writes it accepted`, node, 'new owner served before handoff');
      }
    }
    return problems[0];
  };

  const wrap = (ctx: NodeContext<Message>): NodeContext<Message> => ({
    id: ctx.id,
    peers: ctx.peers,
    now: () => ctx.now(),
    send: (to, message) => {
      if (!sim.isUp(ctx.id)) return;
      const record: Sent = { t: sim.now, from: ctx.id, to, message: structuredClone(message) };
      sent.push(record);
      onSend(ctx.id, to, message);
      if (holding?.(ctx.id, to, message)) {
        held.push(record);
        return;
      }
      ctx.send(to, message);
    },
    setTimer: (delayMs, callback) => ctx.setTimer(delayMs, callback),
    cancelTimer: (timer) => ctx.cancelTimer(timer),
    random: () => ctx.random(),
    storage: ctx.storage,
    log: (text) => ctx.log(text),
  });

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: [...nodes, ...routers],
    network: { latency: () => 5, loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => (routers.includes(ctx.id) ? createRouter(wrap(ctx), { map: structuredClone(first) }) : createRangeNode(wrap(ctx), { map: structuredClone(first) })),
  });
  sim.addClient(COORDINATOR, () => {});
  sim.invariant('the rules of a handoff', judge);

  const c: Cluster = {
    sim, nodes, routers, maps, history, via, sent,
    map: () => maps.at(-1)!,
    status(id) {
      if (!sim.isUp(id)) return undefined;
      const node = sim.node(id) as unknown as RangeNode;
      let s: unknown;
      try {
        s = node.status();
      } catch (error) {
        return sim.violation(`${id}.status() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [id]);
      }
      if (!isStatus(s)) return sim.violation(`${id}.status() returned ${show(s)}; expected { epoch, serving }`, [id]);
      return s;
    },
    move(start, to) {
      const last = c.map();
      const map: PartitionMap = { epoch: last.epoch + 1, ranges: last.ranges.map((r) => ({ ...r, owner: r.start === start ? to : r.owner })) };
      maps.push(map);
      moves.set(start, { to, epoch: map.epoch, done: false });
      sim.note(to, `map ${map.epoch}: ${showRange(rangeOf(map.ranges, start))} → ${to}`);
      c.broadcast();
      return map;
    },
    settled: (start) => moves.get(start)?.done ?? true,
    broadcast() {
      for (const id of nodes) sim.sendFrom(COORDINATOR, id, { type: 'map', map: structuredClone(c.map()) });
    },
    client: (id, timeoutMs = 300) => kvClient<Output>(sim, id, history, { timeoutMs, sentTo: (op, node) => via.set(op, node) }),
    hold(rule) {
      holding = rule;
    },
    release() {
      holding = undefined;
      const out = held;
      held = [];
      return out;
    },
  };
  if (opts.rebroadcastMs !== undefined) {
    const every = opts.rebroadcastMs;
    const again = () => {
      c.broadcast();
      sim.after(every, again);
    };
    sim.after(every, again);
  }
  return c;
}

// ── the history ────────────────────────────────────────────────────────────────────────────────

function describeOp(c: Cluster, op: Op): string {
  const router = c.via.get(op.id) ?? '?';
  const span = `invoked at ${op.callTime.toFixed(1)} ms${Number.isFinite(op.returnTime) ? `, answered at ${op.returnTime.toFixed(1)} ms` : ', never answered'}`;
  return op.input.kind === 'write'
    ? `put ${show(op.input.key)} = ${show(op.input.value)} through ${router} (${span})`
    : `get ${show(op.input.key)} through ${router} → ${show(op.output)} (${span})`;
}

/** What is wrong with the clients' history, if anything. */
export function historyProblem(c: Cluster): string | undefined {
  const ops = c.history.ops;
  const puts = new Map<string, Op>();
  for (const op of ops) if (op.input.kind === 'write') puts.set(op.input.value as string, op);
  for (const g of ops) {
    if (g.input.kind !== 'read' || !Number.isFinite(g.returnTime)) continue;
    const key = g.input.key;
    const value = g.output as string | null;
    const source = value === null ? undefined : puts.get(value);
    if (value !== null && (source === undefined || source.input.key !== key)) return `${describeOp(c, g)}: no put ever wrote ${show(value)} to ${show(key)}`;
    const missed = ops.find((p) => p.input.kind === 'write' && p.input.key === key && p.returnTime < g.callTime && (source === undefined || p.callTime > source.returnTime));
    if (missed) {
      return `a lost or stale write: ${describeOp(c, g)}, but ${describeOp(c, missed)} had been acknowledged before this get began` +
        (source ? `, and began after the put of ${show(value)} had completed` : '') +
        `. An acknowledged write must survive every move of its range: the old owner stops serving before it hands the range off, ` +
        `the handoff carries everything, and the new owner serves only once it has taken it`;
    }
  }
  return kvLinearizabilityProblem(ops, null);
}

export function expectLinearizable(c: Cluster): void {
  const p = historyProblem(c);
  if (p !== undefined) c.sim.violation(p);
}
