/**
 * Helpers for the leader-election suite: clusters of the learner's nodes (or one learner node among
 * scripted "puppets"), with Raft's safety rules checked after every event of the simulation:
 * at most one leader per term, terms that never go down (crashes included), at most one vote per
 * node and term (crashes included).
 */
import { show, simulate } from 'learn-ds/harness';
import {
  summarize, uniformLatency, watchSends,
  type NetworkOptions, type NodeContext, type NodeId, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { ElectionOptions, Message, RaftNode, Role } from 'learn-ds/subject/leader-election';
import { createRaftNode } from 'learn-ds/subject/leader-election';

export type { Message, Role };
export type Sim = Simulation<Message, SimNode<Message>>;

export const MIN_TIMEOUT = 150;
export const MAX_TIMEOUT = 300;
export const HEARTBEAT = 50;
/** How long a majority that can talk may take to elect a leader: 10 × the maximum election timeout. */
export const BOUND = 10 * MAX_TIMEOUT;

const ROLES: readonly string[] = ['follower', 'candidate', 'leader'];

export interface NodeState {
  role: Role;
  term: number;
}

export interface Received {
  t: number;
  from: NodeId;
  message: Message;
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export interface Cluster {
  sim: Sim;
  /** Every node id. */
  ids: NodeId[];
  /** The nodes that run the learner's code. */
  learners: NodeId[];
  /** The state a learner node reports now; undefined while it is down. */
  state(id: NodeId): NodeState | undefined;
  /** Messages received by each puppet. */
  inbox(id: NodeId): Received[];
  /** Every message the learner's nodes sent. */
  sent: Sent[];
  /** How many times each node has started (1 + its restarts). */
  boots: Map<NodeId, number>;
  /** Every (term → leader) ever seen. */
  leaders: Map<number, { id: NodeId; since: number }>;
  /** Scripted message from a puppet (or on a node's behalf) to `to`, through the network. */
  send(from: NodeId, to: NodeId, message: Message): void;
}

export interface ClusterOptions {
  seed: number;
  /** How many nodes (n1, n2, …), or their ids. */
  nodes: number | readonly NodeId[];
  /** Nodes that are scripted by the test instead of running the learner's code. */
  puppets?: readonly NodeId[];
  network?: Partial<NetworkOptions>;
}

function options(): ElectionOptions {
  return { electionTimeoutMs: [MIN_TIMEOUT, MAX_TIMEOUT], heartbeatIntervalMs: HEARTBEAT };
}

function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/**
 * Builds a cluster. The learner's nodes are watched: every message they send is recorded, and the
 * safety rules are checked after every event (a violation stops the run, so the timeline ends there).
 */
/** Node ids of several shapes, so that no code can rely on `n<k>`, on numeric order or on ASCII. */
export function shapedIds(seed: number, size: number): NodeId[] {
  const shapes: NodeId[][] = [
    ['n1', 'Node-B', 'ñ3', 'n10', 'n2'],
    ['node-1000', 'node-1001', 'node-999', 'NODE-1002', 'node-10000'],
    ['Zoë', 'zoe', 'Ω', '東京', 'x'],
  ];
  const shape = shapes[seed % shapes.length]!;
  return shape.slice(0, size);
}

export function cluster(opts: ClusterOptions): Cluster {
  const puppets = new Set(opts.puppets ?? []);
  const inboxes = new Map<NodeId, Received[]>();
  const sent: Sent[] = [];
  const boots = new Map<NodeId, number>();
  const leaders = new Map<number, { id: NodeId; since: number }>();
  /** `${node}|${term}` → who it voted for, and during which boot. */
  const votes = new Map<string, { candidate: NodeId; boot: number }>();
  /** The highest term each node reported, and during which boot. */
  const highest = new Map<NodeId, { term: number; boot: number }>();
  const problems: string[] = [];
  let sim!: Sim;

  const recordVote = (voter: NodeId, term: number, candidate: NodeId, ctx: NodeContext<Message>) => {
    const key = `${voter}|${term}`;
    const boot = boots.get(voter) ?? 1;
    const before = votes.get(key);
    if (before === undefined) {
      votes.set(key, { candidate, boot });
      return;
    }
    if (before.candidate === candidate) return;
    const first = before.candidate === voter ? `${voter} itself (it was a candidate in term ${term})` : before.candidate;
    const second = candidate === voter ? `itself (it became a candidate in term ${term})` : candidate;
    const crashed = before.boot !== boot
      ? ` ${voter} crashed and restarted in between: votedFor must be kept in ctx.storage, which survives a crash, not in memory, and saved there before the vote (or request-vote) is sent.`
      : ' A node votes at most once per term: remember votedFor and refuse every other candidate of that term.';
    const text = `${voter} voted twice in term ${term}: first for ${first}, then for ${second}.${crashed}`;
    problems.push(text);
    ctx.log(`✗ second vote in term ${term}, for ${candidate}`);
  };

  const watch = (ctx: NodeContext<Message>): NodeContext<Message> =>
    watchSends(ctx, (to, message) => {
      if (!sim.isUp(ctx.id) || !isMessage(message)) return;
      sent.push({ t: sim.now, from: ctx.id, to, message: structuredClone(message) });
      if (message.type === 'vote' && message.granted === true && typeof message.term === 'number') {
        recordVote(ctx.id, message.term, to, ctx);
      }
      if (message.type === 'request-vote' && typeof message.term === 'number') recordVote(ctx.id, message.term, ctx.id, ctx);
    });

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: opts.nodes,
    network: { latency: uniformLatency(1, 10), loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      boots.set(ctx.id, (boots.get(ctx.id) ?? 0) + 1);
      if (puppets.has(ctx.id)) {
        const inbox: Received[] = [];
        inboxes.set(ctx.id, inbox);
        return { receive: (from, message) => void inbox.push({ t: sim.now, from, message }) };
      }
      return createRaftNode(watch(ctx), options());
    },
  });
  const ids = [...sim.ids];
  /** `n3 for itself, n1 for n3, n2 for n4`: every vote of `term` seen so far. */
  const votesIn = (term: number): string => {
    const parts: string[] = [];
    for (const [key, v] of votes) {
      const [voter, t] = key.split('|');
      if (Number(t) === term) parts.push(v.candidate === voter ? `${voter} for itself` : `${voter} for ${v.candidate}`);
    }
    return parts.join(', ') || 'none';
  };
  const learners = ids.filter((id) => !puppets.has(id));

  const state = (id: NodeId): NodeState | undefined => {
    if (!sim.isUp(id)) return undefined;
    const node = sim.node(id) as RaftNode | undefined;
    if (node === undefined) return undefined;
    let s: unknown;
    try {
      s = node.state();
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : show(error);
      return sim.violation(`${id}.state() threw ${what}`, [id]);
    }
    const r = s as Partial<NodeState> | null;
    if (typeof r !== 'object' || r === null || !ROLES.includes(r.role as string) || typeof r.term !== 'number' || !Number.isInteger(r.term) || r.term < 0) {
      return sim.violation(
        `${id}.state() returned ${show(s)}; expected { role: 'follower' | 'candidate' | 'leader', term: a whole number ≥ 0 }`,
        [id],
      );
    }
    return { role: r.role as Role, term: r.term };
  };

  sim.invariant('never two votes in one term', () => problems[0]);
  sim.invariant('a leader has won an election in its term', () => {
    for (const id of learners) {
      const s = state(id);
      if (s?.role !== 'leader' || leaders.get(s.term)?.id === id) continue;
      if (votes.get(`${id}|${s.term}`)?.candidate !== id) {
        return `${id} reports { role: 'leader', term: ${s.term} } but never stood for election in term ${s.term} (it sent no request-vote of term ${s.term}); ` +
          'a node becomes leader only by winning an election of its term: a leader or candidate that sees a higher term must step down to follower';
      }
    }
    return undefined;
  });
  sim.invariant('never two leaders in one term', () => {
    for (const id of learners) {
      const s = state(id);
      if (s?.role !== 'leader') continue;
      const known = leaders.get(s.term);
      if (known === undefined) leaders.set(s.term, { id, since: sim.now });
      else if (known.id !== id) {
        return `${known.id} became leader of term ${s.term} at ${known.since.toFixed(1)} ms, and now ${id} is leader of the same term ` +
          `(votes sent in term ${s.term}: ${votesIn(s.term)}; a leader needs the votes of a majority of the whole cluster, ${Math.floor(ids.length / 2) + 1} of ${ids.length}, ` +
          'and two majorities always share a node, which votes only once per term)';
      }
    }
    return undefined;
  });
  sim.invariant('terms never go down', () => {
    for (const id of learners) {
      const s = state(id);
      if (s === undefined) continue;
      const boot = boots.get(id) ?? 1;
      const before = highest.get(id);
      if (before !== undefined && s.term < before.term) {
        return `${id}'s term went down from ${before.term} to ${s.term}` + (before.boot !== boot
          ? ` when it restarted after a crash: currentTerm must be kept in ctx.storage, which survives a crash, not in memory`
          : `: a node's currentTerm only ever grows`);
      }
      if (before === undefined || s.term > before.term || before.boot !== boot) highest.set(id, { term: s.term, boot });
    }
    return undefined;
  });

  return {
    sim, ids, learners, state, sent, boots, leaders,
    inbox: (id) => inboxes.get(id) ?? [],
    send: (from, to, message) => sim.sendFrom(from, to, message),
  };
}

/** `n1 leader term 3, n2 follower term 3, n3 down`. */
export function describeStates(c: Cluster, ids: readonly NodeId[] = c.learners): string {
  return ids.map((id) => {
    const s = c.state(id);
    return s === undefined ? `${id} down` : `${id} ${s.role} term ${s.term}`;
  }).join(', ');
}

/**
 * The leader of `group` if the group has settled: its running nodes are one leader and followers,
 * all of the same term (and, when `above` is given, a term above it).
 */
export function settledLeader(c: Cluster, group: readonly NodeId[] = c.learners, above = -1): { id: NodeId; term: number } | undefined {
  let leader: { id: NodeId; term: number } | undefined;
  const states: NodeState[] = [];
  let leaderState: NodeState | undefined;
  for (const id of group) {
    const s = c.state(id);
    if (s === undefined) continue;
    states.push(s);
    if (s.role === 'leader') {
      if (leader !== undefined) return undefined;
      leader = { id, term: s.term };
      leaderState = s;
    }
  }
  if (leader === undefined || leader.term <= above) return undefined;
  const term = leader.term;
  return states.every((s) => s.term === term && (s.role === 'follower' || s === leaderState)) ? leader : undefined;
}

/** Runs until `group` has settled on a leader (see settledLeader); undefined if it did not within `withinMs`. */
export function awaitLeader(c: Cluster, withinMs: number, group: readonly NodeId[] = c.learners, above = -1) {
  let found: { id: NodeId; term: number } | undefined;
  c.sim.runUntilTrue(() => (found = settledLeader(c, group, above)) !== undefined, withinMs);
  return found;
}

export function list(ids: readonly NodeId[]): string {
  return ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

/** What `puppet` received from `from` since `since`, of the given type. */
export function received(c: Cluster, puppet: NodeId, since: number, type: Message['type'], from = 'n1'): Received[] {
  return c.inbox(puppet).filter((r) => r.t >= since && r.from === from && isMessage(r.message) && r.message.type === type);
}

export function describeReceived(rs: readonly Received[]): string {
  return rs.length === 0 ? 'nothing' : rs.map((r) => `${summarize(r.message)} at ${r.t.toFixed(1)} ms`).join('; ');
}
