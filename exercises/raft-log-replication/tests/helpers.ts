/**
 * Helpers for the raft-log-replication suite: clusters of the learner's nodes (or one learner node
 * among scripted "puppets"), with Raft's safety rules checked after every event: every node applies
 * indexes 1, 2, 3… once each per start, and no two nodes ever apply different entries at one index
 * (state machine safety). Optionally, every reply that promises something (a granted vote, a
 * successful append-reply) is checked against the node's durable storage at that very moment: a
 * node rebuilt from that storage must keep the promise.
 */
import { show, simulate, sometimes } from 'learn-ds/harness';
import {
  History, streamOf, summarize, uniformLatency, watchSends,
  type DurableStorage, type KvInput, type NetworkOptions, type NodeContext, type NodeId, type Operation,
  type RegisterOutput, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { Command, LogEntry, Message, Op, RaftNode, RaftOptions, Result, Role } from 'learn-ds/subject/raft-log-replication';
import { createRaftNode } from 'learn-ds/subject/raft-log-replication';

export type { Command, LogEntry, Message, Op, Result, Role };
export type Sim = Simulation<Message, SimNode<Message>>;
export type KvOp = Operation<KvInput<string | null>, RegisterOutput<string | null>>;

export const MIN_TIMEOUT = 150;
export const MAX_TIMEOUT = 300;
export const HEARTBEAT = 50;
/** How long a connected majority may take to elect a leader and commit: 10 × the maximum election timeout. */
export const BOUND = 10 * MAX_TIMEOUT;

/** More messages than this from one node in one second of simulated time is a storm (a correct node sends a few hundred at most). */
export const STORM = 3_000;

const ROLES: readonly string[] = ['follower', 'candidate', 'leader'];

export interface NodeState {
  role: Role;
  term: number;
  commitIndex: number;
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export interface Received {
  t: number;
  from: NodeId;
  message: Message;
}

export interface Applied {
  index: number;
  entry: LogEntry;
  node: NodeId;
  t: number;
  /** entryKey(entry) */
  key: string;
}

export interface Cluster {
  sim: Sim;
  ids: NodeId[];
  /** The nodes that run the learner's code. */
  learners: NodeId[];
  /** What a learner node reports now; undefined while it is down. */
  state(id: NodeId): NodeState | undefined;
  /** A learner node's log now (a copy); undefined while it is down. */
  entries(id: NodeId): LogEntry[] | undefined;
  /** Every message the learner's nodes sent (only when `record` is on). */
  sent: Sent[];
  /** Messages received by each puppet. */
  inbox(id: NodeId): Received[];
  /** The entry applied at each index (first node to apply it). */
  applied: Map<number, Applied>;
  /** The highest index each learner node has applied since its last start. */
  lastApplied(id: NodeId): number;
  /** Every entry each learner node applied, in order, since its last start. */
  appliedBy(id: NodeId): Applied[];
  boots: Map<NodeId, number>;
  /** A message from a puppet (or from the test on a node's behalf), through the network. */
  send(from: NodeId, to: NodeId, message: Message): void;
}

export interface ClusterOptions {
  seed: number;
  nodes: number;
  puppets?: readonly NodeId[];
  network?: Partial<NetworkOptions>;
  /** Record every message the learner's nodes send (default true). */
  record?: boolean;
  /** Check every granted vote and successful append-reply against the sender's storage at that moment. */
  durability?: boolean;
  /** What a puppet does with each message it receives (besides recording it). */
  puppet?: (c: Cluster, puppet: NodeId, from: NodeId, message: Message) => void;
}

export function options(onApply: RaftOptions['onApply']): RaftOptions {
  return { electionTimeoutMs: [MIN_TIMEOUT, MAX_TIMEOUT], heartbeatIntervalMs: HEARTBEAT, onApply };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isMessage(m: unknown): m is Message {
  return isObject(m) && typeof m.type === 'string';
}

/** JSON with sorted keys: two entries are the same whatever order their fields were written in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** A string that two entries share exactly when they are the same entry (fast for the usual shape). */
export function entryKey(entry: unknown): string {
  if (!isObject(entry)) return canonical(entry);
  const command = entry.command;
  if (command === null) return `${String(entry.term)}|-`;
  if (isObject(command) && isObject(command.op) && Object.keys(entry).length === 2 && Object.keys(command).length === 3) {
    const op = command.op;
    if (op.kind === 'write' && Object.keys(op).length === 3) return `${String(entry.term)}|${String(command.client)}|${String(command.seq)}|w|${String(op.key)}|${String(op.value)}`;
    if (op.kind === 'read' && Object.keys(op).length === 2) return `${String(entry.term)}|${String(command.client)}|${String(command.seq)}|r|${String(op.key)}`;
    if (op.kind === 'cas' && Object.keys(op).length === 4) return `${String(entry.term)}|${String(command.client)}|${String(command.seq)}|c|${String(op.key)}|${JSON.stringify(op.from)}|${String(op.to)}`;
  }
  return canonical(entry);
}

/** `t2 c1#3 write x=a`, `t3 no-op`. */
export function describeEntry(entry: unknown): string {
  if (!isObject(entry)) return show(entry);
  const command = entry.command;
  if (command === null) return `t${String(entry.term)} no-op`;
  if (!isObject(command) || !isObject(command.op)) return `t${String(entry.term)} ${show(command)}`;
  return `t${String(entry.term)} ${String(command.client)}#${String(command.seq)} ${describeOp(command.op as Op)}`;
}

export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'read':
      return `read ${op.key}`;
    case 'write':
      return `write ${op.key}=${op.value}`;
    case 'cas':
      return `cas ${op.key} ${op.from ?? 'null'}→${op.to}`;
    default:
      return show(op);
  }
}

/** How a timeline writes a message: `append-entries t3 prev 1/t1 +[2: t3 c1#1 write x=a] commit 1`. */
export function describeMessage(message: unknown): string {
  if (!isMessage(message)) return summarize(message);
  const m = message;
  try {
    switch (m.type) {
      case 'append-entries': {
        const entries = m.entries.length === 0 ? 'no entries' : m.entries.length <= 2 ? describeLog(m.entries, m.prevLogIndex + 1) : `${m.entries.length} entries`;
        return `append-entries t${m.term} prev ${m.prevLogIndex}/t${m.prevLogTerm} ${entries} commit ${m.leaderCommit}`;
      }
      case 'append-reply':
        return m.success ? `append-reply t${m.term} success matchIndex ${m.matchIndex}` : `append-reply t${m.term} refused conflictIndex ${m.conflictIndex} conflictTerm ${m.conflictTerm}`;
      case 'request':
        return `request #${m.seq} ${describeOp(m.op)} (msgId ${m.msgId})`;
      default:
        return summarize(m, 80);
    }
  } catch {
    return summarize(m, 80);
  }
}

/** `[1: t1 c1#1 write x=a, 2: t2 no-op]` (the first and last few when long). */
export function describeLog(entries: readonly LogEntry[], from = 1): string {
  const all = entries.map((e, i) => `${i + from}: ${describeEntry(e)}`);
  if (all.length <= 8) return `[${all.join(', ')}]`;
  return `[${all.slice(0, 3).join(', ')}, … ${all.length - 6} more …, ${all.slice(-3).join(', ')}]`;
}

function validEntry(e: unknown): e is LogEntry {
  return isObject(e) && typeof e.term === 'number' && (e.command === null || isObject(e.command));
}

/** Storage copied out of a node's: what a disk holds at one moment. */
class SnapshotStorage implements DurableStorage {
  readonly #data = new Map<string, unknown>();
  constructor(from: DurableStorage) {
    for (const key of from.keys()) this.#data.set(key, from.get(key));
  }
  // The node rebuilt from it is thrown away after one look: no need to copy values out again.
  get<T>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }
  set(key: string, value: unknown): void {
    this.#data.set(key, value);
  }
  delete(key: string): void {
    this.#data.delete(key);
  }
  keys(): string[] {
    return [...this.#data.keys()];
  }
}

/** A node made from a copy of `id`'s storage, with a context that goes nowhere: what a restart right now would bring back. */
function rebuilt(id: NodeId, peers: readonly NodeId[], storage: DurableStorage): { node: RaftNode; sent: Array<{ to: NodeId; message: Message }> } {
  const sent: Array<{ to: NodeId; message: Message }> = [];
  const ctx: NodeContext<Message> = {
    id, peers, now: () => 0, send: (to, message) => void sent.push({ to, message: structuredClone(message) }),
    setTimer: () => 0, cancelTimer: () => {}, random: () => 0.5, storage: new SnapshotStorage(storage), log: () => {},
  };
  return { node: createRaftNode(ctx, options(() => {})), sent };
}

export function cluster(opts: ClusterOptions): Cluster {
  const puppets = new Set(opts.puppets ?? []);
  const record = opts.record ?? true;
  const inboxes = new Map<NodeId, Received[]>();
  const sent: Sent[] = [];
  const boots = new Map<NodeId, number>();
  const applied = new Map<number, Applied>();
  const appliedNow = new Map<NodeId, Applied[]>();
  const problems: string[] = [];
  let sim!: Sim;
  let c!: Cluster;

  const onApplyOf = (id: NodeId, boot: number) => (index: number, entry: LogEntry) => {
    if (!sim.isUp(id) || boots.get(id) !== boot) return;
    const mine = appliedNow.get(id)!;
    const last = mine.at(-1)?.index ?? 0;
    if (!Number.isInteger(index) || !validEntry(entry)) {
      problems.push(`${id} called onApply(${show(index)}, ${show(entry)}); expected onApply(index, entry) with a whole index ≥ 1 and the log entry { term, command } at that index`);
      return;
    }
    const record: Applied = { index, entry, node: id, t: sim.now, key: entryKey(entry) };
    if (index !== last + 1) {
      problems.push(index <= last
        ? `${id} applied index ${index} (${describeEntry(entry)}) again: since it started it had already applied indexes 1 to ${last}; each entry is applied once, in order (keep lastApplied)`
        : `${id} applied index ${index} (${describeEntry(entry)}) right after index ${last}: entries are applied in log order, with no gap (the entries between are committed too and come first)`);
      return;
    }
    mine.push(record);
    const first = applied.get(index);
    if (first === undefined) applied.set(index, { ...record, entry: structuredClone(entry) });
    else if (first.key !== record.key) {
      problems.push(
        `${first.node} applied ${describeEntry(first.entry)} at index ${index} (at ${first.t.toFixed(1)} ms), and now ${id} applies a different entry at the same index: ${describeEntry(entry)}. ` +
          'Every node must apply the same command at each index (state machine safety): an entry is committed only once a majority stores it and it is of the leader\'s current term, and a committed entry is never overwritten',
      );
    }
  };

  /** Storage writes per node, and the last append-reply promise checked against them. */
  const writes = new Map<NodeId, number>();
  const checked = new Map<NodeId, string>();
  const checkPromise = (ctx: NodeContext<Message>, to: NodeId, message: Message): void => {
    if (message.type === 'vote' && message.granted === true) {
      const { node, sent: out } = rebuilt(ctx.id, ctx.peers, ctx.storage);
      const term = safeState(node)?.term;
      if (term !== message.term) {
        sim.violation(`${ctx.id} granted its vote to ${to} in term ${message.term}, but had its storage been all that survived a crash at that moment, it would come back in term ${show(term)}: ` +
          'write currentTerm and votedFor to ctx.storage before sending the vote', [ctx.id]);
      }
      const rival = ctx.peers.find((p) => p !== to);
      if (rival === undefined) return;
      node.receive(rival, { type: 'request-vote', term: message.term, lastLogIndex: 1_000_000, lastLogTerm: 1_000_000 });
      const answer = out.find((s) => s.to === rival && s.message.type === 'vote');
      if (answer?.message.type === 'vote' && answer.message.granted === true) {
        sim.violation(`${ctx.id} granted its vote to ${to} in term ${message.term}, but had it crashed right then, it would have come back and voted for ${rival} in the same term: ` +
          'write votedFor to ctx.storage before sending the vote', [ctx.id]);
      }
      return;
    }
    if (message.type === 'append-reply' && message.success === true) {
      // The same promise over the same storage was already checked (a heartbeat's answer).
      const promise = `${boots.get(ctx.id)}|${writes.get(ctx.id) ?? 0}|${message.term}|${message.matchIndex}`;
      if (checked.get(ctx.id) === promise) return;
      checked.set(ctx.id, promise);
      const live = safeEntries(sim.node(ctx.id) as RaftNode) ?? [];
      const { node } = rebuilt(ctx.id, ctx.peers, ctx.storage);
      const term = safeState(node)?.term;
      if (term !== message.term) {
        sim.violation(`${ctx.id} answered ${to} success in term ${message.term}, but had its storage been all that survived a crash at that moment, it would come back in term ${show(term)}: ` +
          'write currentTerm to ctx.storage as soon as you adopt a new term, before replying', [ctx.id]);
      }
      const kept = safeEntries(node) ?? [];
      const m = message.matchIndex;
      const lost = Array.from({ length: Math.min(m, live.length) }, (_, i) => i).find((i) => kept[i] === undefined || entryKey(kept[i]) !== entryKey(live[i]));
      if (lost !== undefined || kept.length < m) {
        sim.violation(`${ctx.id} told ${to} it holds the leader's entries up to index ${m} (success, matchIndex ${m}), but its storage at that moment held only ${describeLog(kept)}; ` +
          'a leader counts that answer to commit, so the entries must be in ctx.storage before the reply is sent (a crash would lose a committed entry)', [ctx.id]);
      }
    }
  };

  /** Messages each node sent in the current second of simulated time: a storm ends the run early, with a message. */
  const perSecond = new Map<NodeId, { second: number; count: number }>();
  const countSend = (id: NodeId): void => {
    const second = Math.floor(sim.now / 1_000);
    const bucket = perSecond.get(id);
    if (bucket === undefined || bucket.second !== second) return void perSecond.set(id, { second, count: 1 });
    if (++bucket.count > STORM) {
      sim.violation(`${id} sent more than ${STORM} messages within one second of simulated time (${second} to ${second + 1} s): a storm. ` +
        'A leader sends append-entries when a command arrives, every heartbeatIntervalMs, and at once after a refusal only; an answer must not trigger another message that triggers another answer', [id]);
    }
  };

  const countWrites = (ctx: NodeContext<Message>): NodeContext<Message> => {
    const storage = ctx.storage;
    const bump = () => void writes.set(ctx.id, (writes.get(ctx.id) ?? 0) + 1);
    return {
      ...ctx, now: () => ctx.now(), send: (to, m) => ctx.send(to, m), setTimer: (d, f) => ctx.setTimer(d, f), cancelTimer: (t) => ctx.cancelTimer(t),
      random: () => ctx.random(), log: (text) => ctx.log(text),
      storage: {
        get: <T>(key: string) => storage.get<T>(key),
        set: (key, value) => { bump(); storage.set(key, value); },
        delete: (key) => { bump(); storage.delete(key); },
        keys: () => storage.keys(),
      },
    };
  };

  const watch = (raw: NodeContext<Message>): NodeContext<Message> => {
    const ctx = opts.durability ? countWrites(raw) : raw;
    return watchSends(ctx, (to, message) => {
      if (!sim.isUp(ctx.id)) return;
      countSend(ctx.id);
      if (record && isMessage(message)) sent.push({ t: sim.now, from: ctx.id, to, message: structuredClone(message) });
      if (opts.durability && isMessage(message)) checkPromise(ctx, to, message);
    });
  };

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: opts.nodes,
    network: { latency: uniformLatency(1, 10), loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      const boot = (boots.get(ctx.id) ?? 0) + 1;
      boots.set(ctx.id, boot);
      if (puppets.has(ctx.id)) {
        const inbox: Received[] = inboxes.get(ctx.id) ?? [];
        inboxes.set(ctx.id, inbox);
        return {
          receive: (from, message) => {
            inbox.push({ t: sim.now, from, message });
            opts.puppet?.(c, ctx.id, from, message);
          },
        };
      }
      appliedNow.set(ctx.id, []);
      return createRaftNode(watch(ctx), options(onApplyOf(ctx.id, boot)));
    },
  });
  const ids = [...sim.ids];
  const learners = ids.filter((id) => !puppets.has(id));

  function safeState(node: RaftNode): NodeState | undefined {
    try {
      const s = node.state() as Partial<NodeState> | null;
      return isObject(s) ? (s as NodeState) : undefined;
    } catch {
      return undefined;
    }
  }

  function safeEntries(node: RaftNode): LogEntry[] | undefined {
    try {
      const e = node.entries();
      return Array.isArray(e) ? [...e] : undefined;
    } catch {
      return undefined;
    }
  }

  const state = (id: NodeId): NodeState | undefined => {
    if (!sim.isUp(id)) return undefined;
    const node = sim.node(id) as RaftNode | undefined;
    if (node === undefined) return undefined;
    let s: unknown;
    try {
      s = node.state();
    } catch (error) {
      return sim.violation(`${id}.state() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [id]);
    }
    const r = s as Partial<NodeState> | null;
    if (!isObject(r) || !ROLES.includes(r.role as string) || !Number.isInteger(r.term) || r.term! < 0 || !Number.isInteger(r.commitIndex) || r.commitIndex! < 0) {
      return sim.violation(
        `${id}.state() returned ${show(s)}; expected { role: 'follower' | 'candidate' | 'leader', term: a whole number ≥ 0, commitIndex: a whole number ≥ 0 }`,
        [id],
      );
    }
    return { role: r.role as Role, term: r.term!, commitIndex: r.commitIndex! };
  };

  const entries = (id: NodeId): LogEntry[] | undefined => {
    if (!sim.isUp(id)) return undefined;
    const node = sim.node(id) as RaftNode | undefined;
    if (node === undefined) return undefined;
    let e: unknown;
    try {
      e = node.entries();
    } catch (error) {
      return sim.violation(`${id}.entries() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [id]);
    }
    if (!Array.isArray(e) || !e.every(validEntry)) {
      return sim.violation(`${id}.entries() returned ${show(e)}; expected the log as an array of { term, command } entries, index 1 first`, [id]);
    }
    return structuredClone(e as LogEntry[]);
  };

  sim.invariant('applies entries in order, each once', () => problems[0]);

  c = {
    sim, ids, learners, state, entries, sent, applied, boots,
    inbox: (id) => inboxes.get(id) ?? [],
    lastApplied: (id) => appliedNow.get(id)?.at(-1)?.index ?? 0,
    appliedBy: (id) => appliedNow.get(id) ?? [],
    send: (from, to, message) => sim.sendFrom(from, to, message),
  };
  return c;
}

// ── what a scenario reached ──────────────────────────────────────────────────────────────

export const REACHED = {
  leaderChange: 'a new leader took over while some log held entries not yet committed',
  crashUncommitted: 'a node crashed while its log held entries not yet committed',
  truncated: 'a follower\'s conflicting entries were replaced by the leader\'s',
  midHandler: 'a node crashed between two effects (sends or storage writes) of one handler',
} as const;

/**
 * Watches the learner's nodes after every event and marks (sometimes()) the cases a fault
 * scenario exists for, so that a run of seeds that never reached them fails as a learn-ds bug.
 */
export function observe(c: Cluster): void {
  const seen = new Map<NodeId, { last: number; lastTerm: number; uncommitted: boolean }>();
  let leaderTerm = 0;
  let traced = 0;
  c.sim.invariant('(observation)', () => {
    for (let i = traced; i < c.sim.trace.length; i++) {
      const e = c.sim.trace[i]!;
      if (e.kind === 'crash' && seen.get(e.node)?.uncommitted) sometimes(REACHED.crashUncommitted);
      if (e.kind === 'crash' && e.cause !== undefined) sometimes(REACHED.midHandler);
    }
    traced = c.sim.trace.length;
    let anyUncommitted = false;
    let newLeader = 0;
    for (const id of c.learners) {
      const node = c.sim.isUp(id) ? (c.sim.node(id) as RaftNode | undefined) : undefined;
      if (node === undefined) continue;
      let s: NodeState;
      let log: readonly LogEntry[];
      try {
        s = node.state();
        log = node.entries();
        if (!Array.isArray(log) || typeof s?.commitIndex !== 'number') continue;
      } catch {
        continue; // the checks that read state() and entries() explain what is wrong with them
      }
      const before = seen.get(id);
      const last = log.length;
      const lastTerm = last === 0 ? 0 : log[last - 1]!.term;
      if (before !== undefined && before.last > 0 && (last < before.last || (log[before.last - 1]?.term ?? lastTerm) !== before.lastTerm)) {
        sometimes(REACHED.truncated);
      }
      const uncommitted = last > s.commitIndex;
      anyUncommitted ||= uncommitted;
      seen.set(id, { last, lastTerm, uncommitted });
      if (s.role === 'leader' && s.term > leaderTerm) newLeader = s.term;
    }
    if (newLeader > 0) {
      if (leaderTerm > 0 && anyUncommitted) sometimes(REACHED.leaderChange);
      leaderTerm = newLeader;
    }
    return undefined;
  });
}

// ── leaders ────────────────────────────────────────────────────────────────────────────────

/** `n1 leader term 3 commit 4, n2 follower term 3 commit 4, n3 down`. */
export function describeStates(c: Cluster, ids: readonly NodeId[] = c.learners): string {
  return ids.map((id) => {
    const s = c.state(id);
    return s === undefined ? `${id} down` : `${id} ${s.role} term ${s.term} commit ${s.commitIndex}`;
  }).join(', ');
}

/** The leader of `group` once its running nodes are one leader and followers, all of one term. */
export function settledLeader(c: Cluster, group: readonly NodeId[] = c.learners, above = -1): { id: NodeId; term: number } | undefined {
  let leader: { id: NodeId; term: number } | undefined;
  const states: NodeState[] = [];
  for (const id of group) {
    const s = c.state(id);
    if (s === undefined) continue;
    states.push(s);
    if (s.role === 'leader') {
      if (leader !== undefined) return undefined;
      leader = { id, term: s.term };
    }
  }
  if (leader === undefined || leader.term <= above) return undefined;
  const term = leader.term;
  return states.every((s) => s.term === term && (s.role === 'follower' || s.role === 'leader')) ? leader : undefined;
}

export function awaitLeader(c: Cluster, withinMs: number, group: readonly NodeId[] = c.learners, above = -1) {
  let found: { id: NodeId; term: number } | undefined;
  c.sim.runUntilTrue(() => (found = settledLeader(c, group, above)) !== undefined, withinMs);
  return found;
}

export function list(ids: readonly string[]): string {
  return ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

export function describeReceived(rs: readonly Received[]): string {
  return rs.length === 0 ? 'nothing' : rs.map((r) => `${summarize(r.message, 90)} at ${r.t.toFixed(1)} ms`).join('; ');
}

// ── clients ────────────────────────────────────────────────────────────────────────────────

/** How long a client waits for an answer before it asks another node. */
export const ATTEMPT_TIMEOUT = 250;

/**
 * A client of the key-value store, like a Raft "clerk": one command at a time, numbered 1, 2, 3…;
 * on a refusal, a timeout or silence it asks again (the leader it was told of, or the next node)
 * with the same number, until some node answers ok. One history operation spans all its attempts.
 */
export class KvClient {
  #seq = 0;
  #msgId = 0;
  #target = 0;
  #current: { op: KvOp; msgId: number; seq: number; request: Op; done: (op: KvOp) => void } | undefined;
  readonly attempts: number[] = [];

  constructor(
    readonly c: Cluster,
    readonly id: NodeId,
    readonly history: History<KvInput<string | null>, RegisterOutput<string | null>>,
    start = 0,
  ) {
    this.#target = start % c.learners.length;
    c.sim.addClient(id, (from, message) => this.#receive(from, message));
  }

  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** Submits `op`, first to `node` if given. */
  submit(op: Op, done: (op: KvOp) => void = () => {}, node?: NodeId): void {
    if (this.#current) throw new Error(`client ${this.id} is busy`);
    const input: KvInput<string | null> = op.kind === 'read' ? { kind: 'read', key: op.key } :
      op.kind === 'write' ? { kind: 'write', key: op.key, value: op.value } : { kind: 'cas', key: op.key, from: op.from, to: op.to };
    const hist = this.history.invoke(this.id, input, this.c.sim.now);
    this.#current = { op: hist, msgId: 0, seq: ++this.#seq, request: op, done };
    if (node !== undefined) this.#target = Math.max(0, this.c.learners.indexOf(node));
    this.#attempt();
  }

  /** Sends the same command again (same seq), as a client that timed out would. */
  resend(node: NodeId): void {
    if (this.#current) this.#sendTo(node);
  }

  #attempt(): void {
    this.#sendTo(this.c.learners[this.#target]!);
  }

  #sendTo(node: NodeId): void {
    const cur = this.#current!;
    cur.msgId = ++this.#msgId;
    const msgId = cur.msgId;
    this.attempts.push(this.c.sim.now);
    this.c.sim.sendFrom(this.id, node, { type: 'request', msgId, seq: cur.seq, op: cur.request });
    this.c.sim.after(ATTEMPT_TIMEOUT, () => {
      if (this.#current === cur && cur.msgId === msgId) {
        this.#target = (this.#target + 1) % this.c.learners.length;
        this.#attempt();
      }
    });
  }

  #receive(_from: NodeId, message: Message): void {
    const cur = this.#current;
    if (!cur || !isObject(message) || message.type !== 'reply' || message.inReplyTo !== cur.msgId) return;
    if (message.ok === true) {
      this.#current = undefined;
      const r = (message as { result?: unknown }).result as Result;
      this.history.complete(cur.op, cur.request.kind === 'write' ? undefined : (r as RegisterOutput<string | null>), this.c.sim.now);
      cur.done(cur.op);
      return;
    }
    const hint = (message as { leader?: unknown }).leader;
    const at = typeof hint === 'string' ? this.c.learners.indexOf(hint) : -1;
    this.#target = at >= 0 ? at : (this.#target + 1) % this.c.learners.length;
    const msgId = cur.msgId;
    // A short pause, so that a cluster with no leader yet is not flooded.
    this.c.sim.after(10, () => {
      if (this.#current === cur && cur.msgId === msgId) this.#attempt();
    });
  }
}

/**
 * Clients that each run commands one after another on a few keys (random reads, writes of unique
 * values, and compare-and-sets) until `until`.
 */
export function workload(c: Cluster, count: number, until: number, keys: readonly string[] = ['x', 'y']): { history: History<KvInput<string | null>, RegisterOutput<string | null>>; clients: KvClient[] } {
  const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
  const clients = Array.from({ length: count }, (_, i) => new KvClient(c, `c${i + 1}`, history, i));
  for (const client of clients) {
    // Each client draws from its own stream, so that leaving out a fault or another client's
    // command (shrinking a failure) changes none of its choices.
    const random = streamOf(c.sim.seed, `client ${client.id}`);
    let n = 0;
    const last = new Map<string, string | null>();
    const next = () => {
      if (c.sim.now >= until) return;
      const key = keys[Math.floor(random() * keys.length)]!;
      const roll = random();
      const op: Op = roll < 0.4 ? { kind: 'read', key } :
        roll < 0.8 ? { kind: 'write', key, value: `${client.id}.${++n}` } :
        { kind: 'cas', key, from: last.get(key) ?? null, to: `${client.id}.${++n}` };
      const pause = 5 + random() * 20;
      // A command of this random workload is a step that shrinking may leave out.
      const step = c.sim.operation(client.id, `${client.id} asks for ${describeOp(op)}`);
      if (!step) return void c.sim.after(pause, next);
      client.submit(op, (done) => {
        step.answered();
        if (done.input.kind === 'read' && done.output !== undefined) last.set(key, done.output as string | null);
        if (done.input.kind === 'write') last.set(key, done.input.value);
        c.sim.after(pause, next);
      });
    };
    c.sim.after(random() * 20, next);
  }
  return { history, clients };
}

/** Runs until `client` is idle (its command answered ok) or `withinMs` pass; the time it took, or undefined. */
export function awaitIdle(c: Cluster, clients: readonly KvClient[], withinMs: number): number | undefined {
  const start = c.sim.now;
  const t = c.sim.runUntilTrue(() => clients.every((k) => !k.busy), withinMs);
  return t === undefined ? undefined : t - start;
}
