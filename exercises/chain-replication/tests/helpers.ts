/**
 * Helpers for the chain-replication suite: a cluster of the learner's nodes, the master (played by
 * the suite: it numbers configurations, removes a crashed node and appends a node at the tail),
 * clients with a history, and the rules checked after every event:
 * - a node's seq never goes down while it is up (a late message of an old configuration must not
 *   roll it back);
 * - put-ok comes only from the tail of the configuration the sender follows, once it has applied
 *   that write; get-ok only from that tail, and from a node new to the chain only once it has
 *   received its predecessor's state.
 * At the end, the clients' history is checked: no stale read, no lost write, then linearizability.
 */
import { show, simulate } from 'learn-ds/harness';
import {
  History, kvClient, summarize, kvLinearizabilityProblem,
  type KvClient, type KvInput, type NodeContext, type NodeId, type Operation, type RegisterOutput, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { ChainNode, Message, Status } from 'learn-ds/subject/chain-replication';
import { createChainNode } from 'learn-ds/subject/chain-replication';

export type { Message, Status };
export type Sim = Simulation<Message, SimNode<Message>>;
export type Input = KvInput<string | null>;
/** A refused request (an `error` answer) did nothing: it is left out of the history. */
export const REFUSED = '\u0000refused';
export type Output = RegisterOutput<string | null> | typeof REFUSED;
export type Op = Operation<Input, Output>;

export const MASTER = 'master';
/** Every message takes this long: links are FIFO, as TCP connections are. */
export const LATENCY = 5;
/** The master notices a crash this long after it happens. */
export const DETECT_MS = 10;

const ID_SETS: readonly (readonly NodeId[])[] = [
  ['n1', 'n2', 'n3', 'n4', 'n5'],
  ['alpha', 'Bravo', 'charlie', 'Délta', 'echo'],
  ['node-10', 'node-2', 'NODE-3', 'nœud-4', 'node-5'],
];
export const KEYS = ['x', 'user:42', 'Clé', 'Ключ'] as const;

export function idsFor(seed: number, n: number): NodeId[] {
  return ID_SETS[seed % ID_SETS.length]!.slice(0, n);
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export type Client = KvClient<Output>;

export interface Cluster {
  sim: Sim;
  ids: NodeId[];
  /** Every configuration the master sent, by epoch (index 0: none). */
  configs: NodeId[][];
  /** The master's latest chain. */
  chain(): NodeId[];
  head(): NodeId;
  tail(): NodeId;
  history: History<Input, Output>;
  via: Map<number, NodeId>;
  sent: Sent[];
  status(id: NodeId): Status | undefined;
  /** The master sends configuration epoch + 1 with this chain to every node. */
  configure(chain: readonly NodeId[]): void;
  /** Crashes `id`; the master removes it from the chain DETECT_MS later. */
  crash(id: NodeId): void;
  /** Restarts `id` if it is down (empty: everything is volatile) and the master appends it at the tail. */
  join(id: NodeId): void;
  client(id: NodeId): Client;
  /** Learner sends that `rule` accepts are held instead of sent (returned by `release`). */
  hold(rule: (from: NodeId, to: NodeId, message: Message) => boolean): void;
  /** Stops holding; returns the messages held so far (send them later with sim.sendFrom, or never). */
  release(): Sent[];
  /** The seq each written value got, from the updates the nodes sent. */
  seqOf: Map<string, number>;
}

function isStatus(x: unknown): x is Status {
  const s = x as Partial<Status> | null;
  return typeof s === 'object' && s !== null && typeof s.epoch === 'number' && typeof s.seq === 'number' &&
    typeof s.data === 'object' && s.data !== null && typeof s.pending === 'number';
}

export function cluster(opts: { seed: number; ids: readonly NodeId[]; chain: readonly NodeId[]; clientTimeoutMs?: number }): Cluster {
  const ids = [...opts.ids];
  const configs: NodeId[][] = [[]];
  const history = new History<Input, Output>();
  const via = new Map<number, NodeId>();
  const sent: Sent[] = [];
  const seqOf = new Map<string, number>();
  const requests = new Map<string, { type: string; key: string; value?: string }>();
  /** The highest seq each node reported during its current life. */
  const highest = new Map<NodeId, { seq: number; epoch: number }>();
  /** The latest epoch of a `state` message delivered to each node (this life). */
  const stateIn = new Map<NodeId, number>();
  const problems: string[] = [];
  let holding: ((from: NodeId, to: NodeId, message: Message) => boolean) | undefined;
  let held: Sent[] = [];
  let sim!: Sim;

  const problem = (text: string, lane?: NodeId, note?: string) => {
    if (problems.length > 0) return;
    problems.push(text);
    if (lane && note) sim.note(lane, `✗ ${note}`);
  };

  const readStatus = (id: NodeId, node: ChainNode): Status => {
    let s: unknown;
    try {
      s = node.status();
    } catch (error) {
      return sim.violation(`${id}.status() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [id]);
    }
    if (!isStatus(s)) return sim.violation(`${id}.status() returned ${show(s)}; expected { epoch, seq, data, pending }`, [id]);
    return s;
  };

  const observe = (id: NodeId, node: ChainNode, why: string) => {
    const s = readStatus(id, node);
    const before = highest.get(id);
    if (before !== undefined && s.seq < before.seq) {
      problem(
        `${id}'s seq went down from ${before.seq} to ${s.seq} ${why}, while it follows epoch ${s.epoch}: a node never goes back; ` +
          `a message of an older epoch than the node's own (a late state or update from a configuration that no longer holds) must be ignored`,
        id, `seq ${before.seq} → ${s.seq} ${why}`,
      );
    }
    highest.set(id, { seq: Math.max(s.seq, before?.seq ?? 0), epoch: s.epoch });
  };

  const isTailOf = (epoch: number, id: NodeId) => configs[epoch]?.at(-1) === id;
  /** The epoch in which `id` last joined a chain it was not in (0: the first configuration). */
  const joinedIn = (id: NodeId, epoch: number): number => {
    let e = epoch;
    while (e > 1 && configs[e - 1]!.includes(id)) e--;
    return e;
  };

  const onAnswer = (from: NodeId, node: ChainNode, to: NodeId, message: Message) => {
    const m = message as { type?: unknown; inReplyTo?: unknown; value?: unknown };
    const request = requests.get(`${to}/${String(m.inReplyTo)}`);
    if (request === undefined) return;
    const s = readStatus(from, node);
    const chainText = configs[s.epoch] ? `[${configs[s.epoch]!.join(', ')}]` : 'none';
    if (m.type === 'put-ok') {
      if (!isTailOf(s.epoch, from)) {
        problem(`${from} sent put-ok for ${show(request.key)} = ${show(request.value)} to ${to}, but ${from} is not the tail of the chain it follows (epoch ${s.epoch}: ${chainText}): ` +
          `only the tail acknowledges a write, once it has passed through every node of the chain`, from, `put-ok though not the tail`);
        return;
      }
      const want = request.value === undefined ? undefined : seqOf.get(request.value);
      if (want !== undefined && s.seq < want) {
        problem(`${from}, the tail, sent put-ok for ${show(request.value)} (seq ${want}) while it had applied only up to seq ${s.seq}`, from, `put-ok before applying`);
      }
    }
    if (m.type === 'get-ok') {
      if (!isTailOf(s.epoch, from)) {
        problem(`${from} answered a get of ${show(request.key)} from ${to} with get-ok, but ${from} is not the tail of the chain it follows (epoch ${s.epoch}: ${chainText}): ` +
          `only the tail serves reads, as only it holds nothing but committed writes (a head or a middle node has writes not yet acknowledged, which may never be)`, from, `get-ok though not the tail`);
        return;
      }
      const joined = joinedIn(from, s.epoch);
      if (joined > 1 && (stateIn.get(from) ?? 0) < joined) {
        problem(`${from} joined the chain as its tail in epoch ${joined} and answered a get of ${show(request.key)} with ${show(m.value)} before it received its predecessor's state: ` +
          `a new tail is missing every earlier write and serves reads only once it has caught up (answer an error meanwhile)`, from, `get-ok before catching up`);
      }
    }
  };

  const wrap = (ctx: NodeContext<Message>, node: () => ChainNode | undefined): NodeContext<Message> => ({
    id: ctx.id,
    peers: ctx.peers,
    now: () => ctx.now(),
    send: (to, message) => {
      if (!sim.isUp(ctx.id)) return;
      const record: Sent = { t: sim.now, from: ctx.id, to, message: structuredClone(message) };
      sent.push(record);
      const m = message as Partial<Extract<Message, { type: 'update' }>>;
      if (m.type === 'update' && typeof m.value === 'string' && typeof m.seq === 'number' && !seqOf.has(m.value)) seqOf.set(m.value, m.seq);
      const n = node();
      const type = (message as { type?: unknown }).type;
      if (n && (type === 'put-ok' || type === 'get-ok')) onAnswer(ctx.id, n, to, message);
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
    nodes: ids,
    network: { latency: () => LATENCY, loss: 0, duplicate: 0 },
    factory: (ctx) => {
      const id = ctx.id;
      highest.delete(id);
      stateIn.delete(id);
      let made: ChainNode | undefined;
      made = createChainNode(wrap(ctx, () => made));
      const node = made;
      return {
        receive(from, message) {
          node.receive(from, message);
          if ((message as { type?: unknown }).type === 'state') stateIn.set(id, Math.max(stateIn.get(id) ?? 0, (message as { epoch: number }).epoch));
          observe(id, node, `on a ${summarize(message, 40)} from ${from}`);
        },
        status: () => node.status(),
      } as SimNode<Message>;
    },
  });
  sim.addClient(MASTER, () => {});
  sim.onSend((from, _to, message) => {
    const m = message as { type?: unknown; msgId?: unknown; key?: unknown; value?: unknown };
    if ((m.type === 'get' || m.type === 'put') && typeof m.key === 'string') {
      requests.set(`${from}/${String(m.msgId)}`, { type: m.type, key: m.key, ...(typeof m.value === 'string' ? { value: m.value } : {}) });
    }
  });
  sim.invariant('the chain\'s rules', () => problems[0]);

  const c: Cluster = {
    sim, ids, configs, history, via, sent, seqOf,
    chain: () => configs.at(-1)!,
    head: () => configs.at(-1)![0]!,
    tail: () => configs.at(-1)!.at(-1)!,
    status(id) {
      if (!sim.isUp(id)) return undefined;
      return readStatus(id, sim.node(id) as unknown as ChainNode);
    },
    configure(chain) {
      configs.push([...chain]);
      const epoch = configs.length - 1;
      sim.note(chain[0]!, `config ${epoch}: ${chain.join(' → ')}`);
      for (const id of ids) sim.sendFrom(MASTER, id, { type: 'config', epoch, chain: [...chain] });
    },
    crash(id) {
      sim.crash(id);
      sim.after(DETECT_MS, () => {
        if (c.chain().includes(id)) c.configure(c.chain().filter((x) => x !== id));
      });
    },
    join(id) {
      if (!sim.isUp(id)) sim.restart(id);
      c.configure([...c.chain().filter((x) => x !== id), id]);
    },
    client: (id) => kvClient<Output>(sim, id, history, { timeoutMs: opts.clientTimeoutMs ?? 200, sentTo: (op, node) => via.set(op, node), refused: REFUSED }),
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
  c.configure(opts.chain);
  return c;
}

// ── the history ────────────────────────────────────────────────────────────────────────────────

function describeOp(c: Cluster, op: Op): string {
  const node = c.via.get(op.id) ?? '?';
  const span = `invoked at ${op.callTime.toFixed(1)} ms${Number.isFinite(op.returnTime) ? `, answered at ${op.returnTime.toFixed(1)} ms` : ', never answered'}`;
  return op.input.kind === 'write'
    ? `put ${show(op.input.key)} = ${show(op.input.value)} through ${node} (${span})`
    : `get ${show(op.input.key)} through ${node} → ${show(op.output)} (${span})`;
}

/** What is wrong with the clients' history, if anything (refused requests left out). */
export function historyProblem(c: Cluster): string | undefined {
  const ops = c.history.ops.filter((op) => op.output !== REFUSED);
  const puts = new Map<string, Op>();
  for (const op of ops) if (op.input.kind === 'write') puts.set(op.input.value as string, op);
  const gets = ops.filter((op) => op.input.kind === 'read' && Number.isFinite(op.returnTime));
  for (const g of gets) {
    const key = g.input.key;
    const value = g.output as string | null;
    const source = value === null ? undefined : puts.get(value);
    if (value !== null && (source === undefined || source.input.key !== key)) return `${describeOp(c, g)}: no put ever wrote ${show(value)} to ${show(key)}`;
    const missed = ops.find((p) => p.input.kind === 'write' && p.input.key === key && p.returnTime < g.callTime && (source === undefined || p.callTime > source.returnTime));
    if (missed) {
      return `a lost or stale write: ${describeOp(c, g)}, but ${describeOp(c, missed)} had been acknowledged before this get began` +
        (source ? `, and began after the put of ${show(value)} had completed` : '') +
        `. An acknowledged write is on the tail and on every node before it, and must stay there through every reconfiguration`;
    }
  }
  return kvLinearizabilityProblem(ops as Operation<Input, RegisterOutput<string | null>>[], null);
}

export function expectLinearizable(c: Cluster): void {
  const p = historyProblem(c);
  if (p !== undefined) c.sim.violation(p);
}

export function list(ids: readonly NodeId[]): string {
  return ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}
