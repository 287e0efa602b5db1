/**
 * Helpers for the quorum-kv suite: clusters of the learner's replicas (or one learner node among
 * scripted "puppet" replicas), clients with a history, and the rules checked after every event:
 * - a replica's version of a key never goes down, crashes included (it keeps the newer version,
 *   in ctx.storage);
 * - a coordinator answers put-ok, or get-ok with a value, only once W replicas hold that version
 *   (or a newer one) of the key.
 * At the end of a scenario, the clients' history is checked: no stale read, then linearizability.
 */
import { show, simulate } from 'learn-ds/harness';
import {
  History, kvClient, uniformLatency, kvLinearizabilityProblem,
  type KvClient, type KvInput, type NetworkOptions, type NodeContext, type NodeId, type Operation, type RegisterOutput, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { KvNode, Message, QuorumOptions, Stored, Version } from 'learn-ds/subject/quorum-kv';
import { createKvNode } from 'learn-ds/subject/quorum-kv';

export type { Message, Stored, Version };
export type Sim = Simulation<Message, SimNode<Message>>;
export type Input = KvInput<string | null>;
export type Output = RegisterOutput<string | null>;
export type Op = Operation<Input, Output>;

/** Node ids of several shapes; the first one is the learner's node in puppet scenarios. */
const ID_SETS: readonly (readonly NodeId[])[] = [
  ['n1', 'n2', 'n3', 'n4', 'n5'],
  ['alpha', 'Bravo', 'charlie', 'Délta', 'echo'],
  ['node-10', 'node-2', 'NODE-3', 'nœud-4', 'node-5'],
];
/** Keys of several shapes. */
export const KEYS = ['x', 'user:42', 'Clé', 'Ключ'] as const;

export function idsFor(seed: number, n: number): NodeId[] {
  return ID_SETS[seed % ID_SETS.length]!.slice(0, n);
}

/** The contract's order of versions: counter first, then node id by JavaScript's `<`. */
export function compare(a: Version, b: Version): number {
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export function showVersion(v: Version): string {
  return `(${v.counter}, ${show(v.node)})`;
}

export function showStored(s: Stored | null | undefined): string {
  return s === null || s === undefined ? 'nothing' : `${show(s.value)} ${showVersion(s.version)}`;
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

type Mode = 'auto' | 'hold' | 'drop';

/** A scripted replica: answers reads and writes as a correct replica would, when the test says. */
export interface Puppet {
  id: NodeId;
  store: Map<string, Stored>;
  inbox: Received[];
  mode: { read: Mode; write: Mode };
  held: Received[];
  /** Answers the oldest `count` held requests (default all), each `times` times (the network may duplicate). */
  release(count?: number, times?: number): void;
}

export type Client = KvClient<Output>;

export interface ClusterOptions {
  seed: number;
  ids: readonly NodeId[];
  r: number;
  w: number;
  antiEntropyIntervalMs?: number;
  puppets?: readonly NodeId[];
  network?: Partial<NetworkOptions>;
  /** Client requests time out after this long (default 400 ms): their outcome is then unknown. */
  clientTimeoutMs?: number;
}

export interface Cluster {
  sim: Sim;
  ids: NodeId[];
  learners: NodeId[];
  options: QuorumOptions;
  history: History<Input, Output>;
  /** Which node coordinated each operation (by op id). */
  via: Map<number, NodeId>;
  /** Every message the learner's nodes sent. */
  sent: Sent[];
  /** A learner replica's local() (checked), or a puppet's store; undefined while a learner is down. */
  local(id: NodeId): Record<string, Stored> | undefined;
  /** The nodes that hold `version` of `key`, or a newer one (a crashed node: what it held when it went down). */
  holders(key: string, version: Version): NodeId[];
  /** The version each value was written with, as first seen in a write or a replica. */
  versionOf: Map<string, Version>;
  client(id: NodeId): Client;
  puppet(id: NodeId): Puppet;
  /** Adds `ms` to the messages (of these types, default all) that the learner's node `from` sends to `to` (0: back to normal). */
  slow(from: NodeId, to: NodeId, ms: number, types?: readonly Message['type'][]): void;
}

function isStored(x: unknown): x is Stored {
  const s = x as Partial<Stored> | null;
  return typeof s === 'object' && s !== null && typeof s.value === 'string' && typeof s.version === 'object' && s.version !== null &&
    typeof s.version.counter === 'number' && typeof s.version.node === 'string';
}

export function cluster(opts: ClusterOptions): Cluster {
  const puppetIds = new Set(opts.puppets ?? []);
  const ids = [...opts.ids];
  const learners = ids.filter((id) => !puppetIds.has(id));
  const options: QuorumOptions = { r: opts.r, w: opts.w, antiEntropyIntervalMs: opts.antiEntropyIntervalMs ?? 100 };
  const history = new History<Input, Output>();
  const via = new Map<number, NodeId>();
  const sent: Sent[] = [];
  const puppets = new Map<NodeId, Puppet>();
  const answers = new Map<NodeId, (r: Received) => void>();
  const versionOf = new Map<string, Version>();
  /** `${key} counter node` → the value first written with that version. */
  const valueOf = new Map<string, string>();
  /** What each learner replica held when last looked at, and during which boot. */
  const known = new Map<NodeId, { boot: number; data: Record<string, Stored> }>();
  const boots = new Map<NodeId, number>();
  const delays = new Map<string, { ms: number; types: readonly string[] | undefined }>();
  /** Client requests by `${client}/${msgId}`. */
  const requests = new Map<string, { type: string; key: string; value?: string }>();
  const problems: string[] = [];
  let sim!: Sim;

  const problem = (text: string, lane?: NodeId, note?: string) => {
    if (problems.length > 0) return;
    problems.push(text);
    if (lane && note) sim.note(lane, `✗ ${note}`);
  };

  const readLocal = (id: NodeId, node: KvNode): Record<string, Stored> => {
    let data: unknown;
    try {
      data = node.local();
    } catch (error) {
      return sim.violation(`${id}.local() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [id]);
    }
    if (typeof data !== 'object' || data === null) return sim.violation(`${id}.local() returned ${show(data)}; expected an object { key: { value, version } }`, [id]);
    const copy: Record<string, Stored> = {};
    for (const [key, s] of Object.entries(data)) {
      if (!isStored(s)) return sim.violation(`${id}.local() holds ${show(s)} for key ${show(key)}; expected { value: string, version: { counter: number, node: string } }`, [id]);
      copy[key] = { value: s.value, version: { counter: s.version.counter, node: s.version.node } };
      if (!versionOf.has(s.value)) versionOf.set(s.value, copy[key]!.version);
    }
    return copy;
  };

  /** Compares a learner replica's store with what it held before: versions never go down. */
  const observe = (id: NodeId, node: KvNode) => {
    const data = readLocal(id, node);
    const boot = boots.get(id) ?? 1;
    const before = known.get(id);
    if (before) {
      for (const [key, old] of Object.entries(before.data)) {
        const now = data[key];
        if (now !== undefined && compare(now.version, old.version) >= 0) continue;
        const restarted = before.boot !== boot;
        problem(
          `${id}'s copy of ${show(key)} went from ${showStored(old)} to ${showStored(now)}` + (restarted
            ? ` when it restarted after a crash: a replica keeps what it stores in ctx.storage (before acknowledging it), which survives a crash`
            : `: a replica keeps a version only if it is newer than the one it holds (higher counter; the same counter and a greater node id), whatever order writes and syncs arrive in`),
          id, `${show(key)} went back to ${showStored(now)}`,
        );
      }
    }
    known.set(id, { boot, data });
  };

  const holders = (key: string, version: Version): NodeId[] =>
    ids.filter((id) => {
      const data = puppetIds.has(id) ? Object.fromEntries(puppets.get(id)!.store) : sim.isUp(id) ? cluster.local(id) : known.get(id)?.data;
      const s = data?.[key];
      return s !== undefined && compare(s.version, version) >= 0;
    });

  /** A coordinator answers a client: the version it confirms must be on W replicas. */
  const onAnswer = (from: NodeId, to: NodeId, message: Message) => {
    const m = message as { type?: unknown; inReplyTo?: unknown; value?: unknown };
    const request = requests.get(`${to}/${String(m.inReplyTo)}`);
    if (request === undefined) return;
    if (m.type === 'get-ok' && m.value === null) return;
    const value = m.type === 'put-ok' ? request.value : m.value;
    if (typeof value !== 'string') return; // a malformed answer is reported by the client
    const version = versionOf.get(value);
    const what = m.type === 'put-ok' ? `put-ok for ${show(request.key)} = ${show(value)}` : `get-ok ${show(value)} for ${show(request.key)}`;
    if (version === undefined) {
      problem(`${from} sent ${what} to ${to}, yet no replica holds ${show(value)}: it must be stored on W = ${options.w} replicas first`, from, `${m.type} with ${show(value)} on no replica`);
      return;
    }
    const have = holders(request.key, version);
    if (have.length < options.w) {
      problem(
        `${from} sent ${what} to ${to} while only ${have.length} replica${have.length === 1 ? '' : 's'} (${have.join(', ') || 'none'}) held version ${showVersion(version)} of ${show(request.key)} or a newer one; ` +
          `a coordinator answers only once W = ${options.w} distinct replicas, itself included, have stored it` +
          (m.type === 'get-ok' ? ` (a read first writes the newest version it found back, so that every later read sees it)` : '') +
          ` — count replicas, not acknowledgements: the network duplicates messages`,
        from, `${m.type} with ${have.length} of W = ${options.w} holding it`,
      );
    }
  };

  const wrap = (ctx: NodeContext<Message>, after: () => void): NodeContext<Message> => ({
    id: ctx.id,
    peers: ctx.peers,
    now: () => ctx.now(),
    send: (to, message) => {
      if (!sim.isUp(ctx.id)) return;
      sent.push({ t: sim.now, from: ctx.id, to, message: structuredClone(message) });
      const m = message as Partial<Message>;
      if (m.type === 'write' && isStored(m.stored)) {
        const { value, version } = m.stored;
        if (!versionOf.has(value)) versionOf.set(value, version);
        const id = `${String(m.key)}\u0000${version.counter}\u0000${version.node}`;
        const other = valueOf.get(id);
        if (other === undefined) valueOf.set(id, value);
        else if (other !== value) {
          problem(`${ctx.id} wrote ${show(value)} to ${show(m.key)} with version ${showVersion(version)}, the version that ${show(other)} was already written with: ` +
            `two values with one version cannot be told apart, and replicas that hold different ones never agree. A put's counter must be above the highest it read ` +
            `and above the node's own copy as it is when the put's read phase ends (two puts of one key through one node, at once)`, ctx.id, `${show(value)} gets the version of ${show(other)}`);
        }
      }
      if (m.type === 'put-ok' || m.type === 'get-ok') onAnswer(ctx.id, to, message);
      const rule = delays.get(`${ctx.id}\u0000${to}`);
      const extra = rule && (rule.types === undefined || rule.types.includes(String(m.type))) ? rule.ms : 0;
      if (extra > 0) ctx.setTimer(extra, () => ctx.send(to, message));
      else ctx.send(to, message);
    },
    setTimer: (delayMs, callback) => ctx.setTimer(delayMs, () => {
      callback();
      after();
    }),
    cancelTimer: (timer) => ctx.cancelTimer(timer),
    random: () => ctx.random(),
    storage: ctx.storage,
    log: (text) => ctx.log(text),
  });

  const makePuppet = (id: NodeId): Puppet => {
    const answer = (r: Received) => {
      const m = r.message;
      if (m.type === 'read') sim.sendFrom(id, r.from, { type: 'read-ok', rid: m.rid, stored: p.store.get(m.key) ?? null });
      if (m.type === 'write') {
        const mine = p.store.get(m.key);
        if (mine === undefined || compare(m.stored.version, mine.version) > 0) p.store.set(m.key, structuredClone(m.stored));
        sim.sendFrom(id, r.from, { type: 'write-ok', rid: m.rid });
      }
    };
    const p: Puppet = {
      id, store: new Map(), inbox: [], mode: { read: 'auto', write: 'auto' }, held: [],
      release(count = p.held.length, times = 1) {
        for (const r of p.held.splice(0, count)) for (let i = 0; i < times; i++) answer(r);
      },
    };
    puppets.set(id, p);
    answers.set(id, answer);
    return p;
  };
  for (const id of puppetIds) makePuppet(id);

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: ids,
    network: { latency: uniformLatency(1, 10), loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      boots.set(ctx.id, (boots.get(ctx.id) ?? 0) + 1);
      const p = puppets.get(ctx.id);
      if (p) {
        return {
          receive: (from, message) => {
            const r = { t: sim.now, from, message };
            p.inbox.push(r);
            const mode = message.type === 'read' ? p.mode.read : message.type === 'write' ? p.mode.write : 'drop';
            if (mode === 'auto') answers.get(ctx.id)!(r);
            else if (mode === 'hold') p.held.push(r);
          },
        };
      }
      const id = ctx.id;
      let node: KvNode | undefined;
      const after = () => {
        if (node) observe(id, node);
      };
      node = createKvNode(wrap(ctx, after), { ...options });
      const made = node;
      observe(id, made);
      return {
        receive(from, message) {
          made.receive(from, message);
          observe(id, made);
        },
        local: () => made.local(),
      } as SimNode<Message>;
    },
  });

  sim.onSend((from, to, message) => {
    const m = message as { type?: unknown; msgId?: unknown; key?: unknown; value?: unknown };
    if ((m.type === 'get' || m.type === 'put') && typeof m.key === 'string') {
      requests.set(`${from}/${String(m.msgId)}`, { type: m.type, key: m.key, ...(typeof m.value === 'string' ? { value: m.value } : {}) });
    }
  });
  sim.invariant('replicas keep the newest version, and answers wait for W replicas', () => problems[0]);

  const cluster: Cluster = {
    sim, ids, learners, options, history, via, sent, versionOf,
    local(id) {
      const p = puppets.get(id);
      if (p) return Object.fromEntries(p.store);
      if (!sim.isUp(id)) return undefined;
      return readLocal(id, sim.node(id) as unknown as KvNode);
    },
    holders,
    client: (id) => kvClient<Output>(sim, id, history, { timeoutMs: opts.clientTimeoutMs ?? 400, sentTo: (op, node) => via.set(op, node) }),
    puppet(id) {
      const p = puppets.get(id);
      if (!p) throw new Error(`${id} is not a puppet`);
      return p;
    },
    slow(from, to, ms, types) {
      delays.set(`${from}\u0000${to}`, { ms, types });
    },
  };
  return cluster;
}

// ── the history ────────────────────────────────────────────────────────────────────────────────

function describeOp(c: Cluster, op: Op): string {
  const node = c.via.get(op.id) ?? '?';
  const span = `invoked at ${op.callTime.toFixed(1)} ms${Number.isFinite(op.returnTime) ? `, answered at ${op.returnTime.toFixed(1)} ms` : ', never answered'}`;
  return op.input.kind === 'write'
    ? `put ${show(op.input.key)} = ${show(op.input.value)} through ${node} (${span})`
    : `get ${show(op.input.key)} through ${node} → ${show(op.output)} (${span})`;
}

/**
 * What is wrong with the clients' history, if anything: a read that missed a write completed before
 * it began (stale), a read older than an earlier read, or (in general) no linearization.
 */
export function historyProblem(c: Cluster): string | undefined {
  const ops = c.history.ops;
  const puts = new Map<string, Op>();
  for (const op of ops) if (op.input.kind === 'write') puts.set(op.input.value as string, op);
  const gets = ops.filter((op) => op.input.kind === 'read' && Number.isFinite(op.returnTime));
  for (const g of gets) {
    const key = g.input.key;
    const value = g.output as string | null;
    const source = value === null ? undefined : puts.get(value);
    if (value !== null && (source === undefined || source.input.key !== key)) {
      return `${describeOp(c, g)}: no put ever wrote ${show(value)} to ${show(key)}`;
    }
    const missed = ops.find((p) => p.input.kind === 'write' && p.input.key === key && p.returnTime < g.callTime &&
      (source === undefined || p.callTime > source.returnTime));
    if (missed) {
      return `stale read: ${describeOp(c, g)}, but ${describeOp(c, missed)} had completed before this get began` +
        (source ? `, and began after the put of ${show(value)} had completed` : '') +
        `. With R + W > N (R = ${c.options.r}, W = ${c.options.w}, N = ${c.ids.length}) every read quorum shares a replica with every write quorum: ` +
        `a read waits for R answers and returns the newest version among them`;
    }
  }
  for (const g1 of gets) {
    for (const g2 of gets) {
      if (g1.input.key !== g2.input.key || g1.returnTime >= g2.callTime || g1.output === g2.output) continue;
      const newer = g1.output === null ? undefined : puts.get(g1.output as string);
      const older = g2.output === null ? undefined : puts.get(g2.output as string);
      if (newer && (older === undefined || older.returnTime < newer.callTime)) {
        return `a later read returned an older value: ${describeOp(c, g1)}, then ${describeOp(c, g2)} ` +
          `(the put of ${show(g2.output)} ${older ? `had completed at ${older.returnTime.toFixed(1)} ms, before the put of ${show(g1.output)} began` : 'never happened: it is the initial null'}). ` +
          `A read that returns a version must first write it back to W replicas (read repair, ABD's second phase), or a later read can miss it`;
      }
    }
  }
  return kvLinearizabilityProblem(ops, null);
}

export function expectLinearizable(c: Cluster): void {
  const p = historyProblem(c);
  if (p !== undefined) c.sim.violation(p);
}

/** `x: "v3" (4, "n2")` lines of a store. */
export function showStore(data: Record<string, Stored> | undefined): string {
  if (data === undefined) return 'down';
  const keys = Object.keys(data).sort();
  return keys.length === 0 ? '{}' : `{ ${keys.map((k) => `${show(k)}: ${showStored(data[k])}`).join(', ')} }`;
}

export function list(ids: readonly NodeId[]): string {
  return ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}
