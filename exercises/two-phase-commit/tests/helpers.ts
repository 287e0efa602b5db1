/**
 * Helpers for the two-phase-commit suite: a world of the learner's coordinator and participants,
 * clients that submit transactions (and submit again until they hear the outcome), and the rules
 * checked after every event, each failure naming the transaction, its participants and what each did:
 * - every decision sent for a transaction (to a participant, or as the outcome to its client) is the
 *   same, and a commit is sent only once every participant has voted yes;
 * - a participant that voted yes and has not learned the decision keeps every key of the transaction
 *   locked for it (through crashes too), and votes yes on no other transaction touching those keys;
 * - a participant holds no lock for a transaction whose decision it has learned;
 * - a participant's data holds only committed writes, in the order it learned them, and keeps them
 *   through crashes; once it learns a commit, the transaction's writes are visible there.
 */
import { show, simulate } from 'learn-ds/harness';
import { summarize, type NodeContext, type NodeId, type SimNode, type Simulation } from 'learn-ds/sim';
import type { Message, Participant, ParticipantStatus } from 'learn-ds/subject/two-phase-commit';
import { createCoordinator, createParticipant } from 'learn-ds/subject/two-phase-commit';

export type { Message, ParticipantStatus };
export type Sim = Simulation<Message, SimNode<Message>>;

/** Every message takes this long in the scripted checks (the random ones draw latencies). */
export const LATENCY = 5;
/** A client that has heard no outcome submits again this often. */
export const RESUBMIT_MS = 100;

export interface Roles {
  coordinator: NodeId;
  participants: NodeId[];
}

const ROLE_SETS: readonly Roles[] = [
  { coordinator: 'coord', participants: ['p1', 'p2', 'p3'] },
  { coordinator: 'Coordinator-A', participants: ['bank-10', 'bank-2', 'Bank-3'] },
  { coordinator: 'tm', participants: ['nœud-1', 'Zoë', 'ñ3'] },
];
const TX_SHAPES: readonly ((n: number) => string)[] = [
  (n) => `tx-${n}`,
  (n) => `T${n * 7 + 3}`,
  (n) => `order:${1000 - n}`,
  (n) => `Überweisung-${n}`,
  (n) => (0x9e3779b1 * (n + 1) >>> 0).toString(16),
];
export const KEYS = ['x', 'user:42', 'Clé', 'Ключ'] as const;

export function rolesFor(seed: number, participants = 3): Roles {
  const r = ROLE_SETS[seed % ROLE_SETS.length]!;
  return { coordinator: r.coordinator, participants: r.participants.slice(0, participants) };
}

/** The n-th transaction id of a seed: sequential, mixed case, with a colon, non-ASCII, random hex. */
export function txIdFor(seed: number, n: number): string {
  return TX_SHAPES[(seed + n) % TX_SHAPES.length]!(n);
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export interface Tx {
  txId: string;
  client: NodeId;
  writes: Record<NodeId, Record<string, string>>;
  submittedAt: number;
  /** The outcome its client heard, and when. */
  outcome?: { commit: boolean; t: number };
}

interface DecisionSent {
  t: number;
  from: NodeId;
  to: NodeId;
  commit: boolean;
  kind: 'decision' | 'outcome';
}

export interface Options {
  seed: number;
  roles: Roles;
  voteTimeoutMs: number;
  queryIntervalMs: number;
  network?: Partial<import('learn-ds/sim').NetworkOptions>;
  /** Clients submit again every RESUBMIT_MS until they hear the outcome (default true). */
  resubmit?: boolean;
}

export interface World {
  sim: Sim;
  /** Sends and storage writes each node made (all lives): for crash sweeps. */
  effects: Map<NodeId, { sends: number; writes: number }>;
  /** Restarts of the coordinator while a transaction had votes and no decision; of participants while in doubt. */
  restarts: { coordinatorUndecided: number; participantInDoubt: number };
  roles: Roles;
  options: Options;
  txs: Map<string, Tx>;
  sent: Sent[];
  /** Sends `writes` as transaction `txId` from `client` (a client endpoint made on first use). */
  submit(client: NodeId, txId: string, writes: Record<NodeId, Record<string, string>>): Tx;
  status(p: NodeId): ParticipantStatus | undefined;
  /** Learner sends that `rule` accepts are held instead of sent (returned by `release`). */
  hold(rule: (from: NodeId, to: NodeId, message: Message) => boolean): void;
  release(): Sent[];
  /** Learner sends that `rule` accepts go out twice. */
  duplicate(rule: (from: NodeId, to: NodeId, message: Message) => boolean): void;
  /** True once every transaction's client heard its outcome and every participant that voted yes learned the decision. */
  settled(): boolean;
  /** What is still undecided, for a liveness message. */
  unsettled(): string;
  /** Transaction by transaction, what each participant did: for messages. */
  story(txId: string): string;
  /** Checks every participant's data against the writes it learned were committed (after settling). */
  dataProblem(): string | undefined;
  /** Transactions decided (by the decisions sent), and how. */
  decided(txId: string): boolean | undefined;
  /** Queries a participant sent, in order. */
  queries(p: NodeId): Sent[];
  votedAt(p: NodeId, txId: string): number | undefined;
  known(p: NodeId, txId: string): boolean;
  /** When a decision on txId first reached p. */
  reachedAt(p: NodeId, txId: string): number | undefined;
}

function isStatus(x: unknown): x is ParticipantStatus {
  const s = x as Partial<ParticipantStatus> | null;
  return typeof s === 'object' && s !== null && typeof s.data === 'object' && s.data !== null && typeof s.locks === 'object' && s.locks !== null;
}

const fmt = (t: number) => `${t.toFixed(1)} ms`;

export function world(options: Options): World {
  const { roles } = options;
  const coordinator = roles.coordinator;
  const participants = roles.participants;
  const txs = new Map<string, Tx>();
  const sent: Sent[] = [];
  const decisions = new Map<string, DecisionSent[]>();
  /** Votes each participant sent, per transaction. */
  const votes = new Map<string, Map<NodeId, { yes?: number; no?: number }>>();
  /** Decisions a participant has handled to the end of its handler: txId → when. */
  const known = new Map<NodeId, Map<string, { commit: boolean; t: number }>>();
  /** Decisions delivered to a participant (its handler may have been cut short by a crash): txId → commit. */
  const delivered = new Map<NodeId, Map<string, boolean>>();
  const deliveredAt = new Map<string, number>();
  /** Per participant and key: the value the last commit it learned wrote, and by which transaction. */
  const model = new Map<NodeId, Map<string, { value: string; txId: string }>>();
  /** participant + value → the transaction that writes it there. */
  const writers = new Map<string, { txId: string; p: NodeId; key: string }>();
  const writerKey = (p: NodeId, value: string) => `${p}\u0000${value}`;
  const boots = new Map<NodeId, number>();
  const restartedAt = new Map<NodeId, number>();
  const clients = new Set<NodeId>();
  const problems: string[] = [];
  let holding: ((from: NodeId, to: NodeId, message: Message) => boolean) | undefined;
  let doubling: ((from: NodeId, to: NodeId, message: Message) => boolean) | undefined;
  let held: Sent[] = [];
  let sim!: Sim;

  for (const p of participants) {
    known.set(p, new Map());
    delivered.set(p, new Map());
    model.set(p, new Map());
  }

  const problem = (text: string, lane?: NodeId, note?: string) => {
    if (problems.length > 0) return;
    problems.push(text);
    if (lane && note) sim.note(lane, `✗ ${note}`);
  };

  const writesAt = (txId: string, p: NodeId): Record<string, string> => txs.get(txId)?.writes[p] ?? {};
  const participantsOf = (txId: string): NodeId[] => Object.keys(txs.get(txId)?.writes ?? {});
  const voteOf = (txId: string, p: NodeId) => votes.get(txId)?.get(p);
  /** Voted yes on txId and no decision has reached it. */
  const inDoubt = (p: NodeId, txId: string) => voteOf(txId, p)?.yes !== undefined && !delivered.get(p)!.has(txId);
  /** A commit reached p and its handler was cut short by a crash: p may be finishing it, or in doubt again until it asks. */
  const finishing = (p: NodeId, txId: string) => delivered.get(p)!.get(txId) === true && !known.get(p)!.has(txId);

  function story(txId: string): string {
    const tx = txs.get(txId);
    if (!tx) return `transaction ${show(txId)} (never submitted)`;
    const lines = participantsOf(txId).map((p) => {
      const v = voteOf(txId, p);
      const parts: string[] = [];
      if (v?.yes !== undefined) parts.push(`voted yes at ${fmt(v.yes)}`);
      if (v?.no !== undefined) parts.push(`voted no at ${fmt(v.no)}`);
      if (v === undefined) parts.push('never voted');
      const k = known.get(p)!.get(txId);
      if (k) parts.push(`learned ${k.commit ? 'commit' : 'abort'} at ${fmt(k.t)}`);
      else if (v?.yes !== undefined) parts.push('has not learned the decision');
      const writes = Object.entries(tx.writes[p] ?? {}).map(([key, value]) => `${show(key)} = ${show(value)}`).join(', ');
      return `${p} (writes ${writes}): ${parts.join(', ')}`;
    });
    const told = (decisions.get(txId) ?? []).map((d) => `${d.from} sent ${d.kind === 'outcome' ? 'the outcome' : 'the decision'} ${d.commit ? 'commit' : 'abort'} to ${d.to} at ${fmt(d.t)}`);
    return `transaction ${show(txId)} (participants ${participantsOf(txId).join(', ')}): ${lines.join('; ')}` + (told.length ? `. Decisions sent: ${told.slice(0, 6).join('; ')}${told.length > 6 ? '; …' : ''}` : '');
  }

  function onDecisionSent(d: DecisionSent, txId: string): void {
    if (!txs.has(txId)) return;
    const list = decisions.get(txId) ?? [];
    const before = list.find((x) => x.commit !== d.commit);
    list.push(d);
    decisions.set(txId, list);
    if (before) {
      problem(
        `atomicity broken: ${d.from} sent ${d.kind === 'outcome' ? 'the outcome' : 'the decision'} ${d.commit ? 'commit' : 'abort'} for ${show(txId)} to ${d.to} at ${fmt(d.t)}, ` +
          `but ${before.from} had sent ${before.kind === 'outcome' ? 'the outcome' : 'the decision'} ${before.commit ? 'commit' : 'abort'} to ${before.to} at ${fmt(before.t)}. ` +
          `A transaction is decided once, and the decision is logged (ctx.storage) before anyone hears it, so that a crash cannot change it. ${story(txId)}`,
        d.from, `${d.commit ? 'commit' : 'abort'} ${txId} contradicts the earlier decision`,
      );
      return;
    }
    if (d.commit) {
      const missing = participantsOf(txId).filter((p) => voteOf(txId, p)?.yes === undefined);
      if (missing.length > 0) {
        problem(
          `commit without every yes vote: ${d.from} sent ${d.kind === 'outcome' ? 'the outcome' : 'the decision'} commit for ${show(txId)} to ${d.to} at ${fmt(d.t)}, ` +
            `but ${missing.join(' and ')} never voted yes on it. Commit only once every participant's yes vote has arrived (a vote counts once, however many copies arrive). ${story(txId)}`,
          d.from, `commit ${txId} without ${missing.join(', ')}'s yes`,
        );
      }
    }
  }

  function onVoteSent(p: NodeId, txId: string, yes: boolean): void {
    const byP = votes.get(txId) ?? new Map<NodeId, { yes?: number; no?: number }>();
    votes.set(txId, byP);
    const v = byP.get(p) ?? {};
    byP.set(p, v);
    if (yes) v.yes ??= sim.now;
    else v.no ??= sim.now;
    if (!yes) return;
    const k = known.get(p)?.get(txId);
    if (k) {
      problem(`${p} voted yes on ${show(txId)} at ${fmt(sim.now)}, though it learned the decision (${k.commit ? 'commit' : 'abort'}) at ${fmt(k.t)}: ` +
        `a late or duplicated prepare of a decided transaction is ignored (a participant remembers the decisions it learns). ${story(txId)}`, p, `yes on decided ${txId}`);
      return;
    }
    for (const key of Object.keys(writesAt(txId, p))) {
      for (const [other] of votes) {
        if (other === txId || !inDoubt(p, other) || !(key in writesAt(other, p))) continue;
        problem(
          `${p} voted yes on ${show(txId)} at ${fmt(sim.now)} although ${show(key)} was locked by ${show(other)}, on which it had voted yes and whose decision it had not learned: ` +
            `a key stays locked from the yes vote until the decision is known, and a prepare that finds one of its keys locked by another transaction gets a no. ${story(other)}`,
          p, `yes on ${txId} while ${key} is locked by ${other}`,
        );
        return;
      }
    }
  }

  function readStatus(p: NodeId): ParticipantStatus | undefined {
    const node = sim.node(p) as unknown as Participant | undefined;
    if (node === undefined) return undefined;
    let s: unknown;
    try {
      s = node.status();
    } catch (error) {
      return sim.violation(`${p}.status() threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [p]);
    }
    if (!isStatus(s)) return sim.violation(`${p}.status() returned ${show(s)}; expected { data: { key: value }, locks: { key: txId } }`, [p]);
    return s;
  }

  /** The rules on one participant's state, after every event. */
  function statusProblem(p: NodeId): void {
    const s = readStatus(p);
    if (s === undefined) return;
    const restart = restartedAt.has(p) ? ` (it restarted at ${fmt(restartedAt.get(p)!)}; what it voted yes on must be in ctx.storage before the vote is sent)` : '';
    for (const [txId] of votes) {
      if (!inDoubt(p, txId)) continue;
      for (const key of Object.keys(writesAt(txId, p))) {
        if (s.locks[key] === txId) continue;
        const holder = s.locks[key] === undefined ? 'not locked' : `locked by ${show(s.locks[key])}`;
        problem(
          `${p} voted yes on ${show(txId)} at ${fmt(voteOf(txId, p)!.yes!)} and has not learned the decision, yet at ${fmt(sim.now)} ${show(key)} is ${holder}${restart}: ` +
            `after a yes vote, a participant may neither commit nor abort on its own, and keeps the transaction's keys locked until it learns the decision. ${story(txId)}`,
          p, `${key} released while ${txId} is in doubt`,
        );
        return;
      }
    }
    for (const [key, txId] of Object.entries(s.locks)) {
      const k = known.get(p)!.get(txId);
      if (k) {
        problem(`${p} holds ${show(key)} locked by ${show(txId)} at ${fmt(sim.now)}, though it learned the decision (${k.commit ? 'commit' : 'abort'}) at ${fmt(k.t)}: ` +
          `the decision releases the transaction's locks, and a late or duplicated prepare of a decided transaction is ignored. ${story(txId)}`, p, `${key} still locked by decided ${txId}`);
        return;
      }
    }
    const mine = model.get(p)!;
    for (const [key, value] of Object.entries(s.data)) {
      const want = mine.get(key);
      if (want?.value === value) continue;
      // A commit whose handler a crash cut short: partly applied, it is finished after the restart.
      if (want && finishing(p, want.txId)) continue;
      const w = writers.get(writerKey(p, value));
      if (w === undefined || w.p !== p || w.key !== key) {
        problem(`${p}'s data has ${show(key)} = ${show(value)} at ${fmt(sim.now)}, which no transaction wrote to ${show(key)} at ${p}`, p, `${key} = ${value} from nowhere`);
        return;
      }
      const k = known.get(p)!.get(w.txId);
      if (!k && delivered.get(p)!.get(w.txId) !== true) {
        problem(`${p}'s data shows ${show(key)} = ${show(value)}, written by ${show(w.txId)}, at ${fmt(sim.now)}, before ${p} learned that ${show(w.txId)} committed: ` +
          `a participant applies a transaction's writes only once it learns the decision commit (until then the transaction may still abort). ${story(w.txId)}`, p, `${key} applied before the decision`);
        return;
      }
      problem(`${p}'s data shows ${show(key)} = ${show(value)} (written by ${show(w.txId)}) at ${fmt(sim.now)}, but the last commit ${p} learned that writes ${show(key)} is ` +
        `${want ? `${show(want.txId)} (${show(want.value)})` : 'none'}: a decision that arrives again (a duplicate, a late answer to a query) must change nothing. ${story(w.txId)}`, p, `${key} rolled back to ${w.txId}'s value`);
      return;
    }
    for (const [key, want] of mine) {
      if (key in s.data || finishing(p, want.txId)) continue;
      problem(`${p}'s data has no ${show(key)} at ${fmt(sim.now)}, though it learned that ${show(want.txId)} committed ${show(key)} = ${show(want.value)}${restart}: ` +
        `committed writes are kept in ctx.storage, which is all that survives a crash. ${story(want.txId)}`, p, `lost ${key}`);
      return;
    }
  }

  const effects = new Map<NodeId, { sends: number; writes: number }>();
  const restarts = { coordinatorUndecided: 0, participantInDoubt: 0 };
  const effectsOf = (id: NodeId) => {
    let e = effects.get(id);
    if (!e) effects.set(id, (e = { sends: 0, writes: 0 }));
    return e;
  };
  const wrap = (ctx: NodeContext<Message>): NodeContext<Message> => ({
    id: ctx.id,
    peers: ctx.peers,
    now: () => ctx.now(),
    send: (to, message) => {
      if (!sim.isUp(ctx.id)) return;
      const record: Sent = { t: sim.now, from: ctx.id, to, message: structuredClone(message) };
      sent.push(record);
      effectsOf(ctx.id).sends++;
      const m = message as { type?: unknown; txId?: unknown; commit?: unknown; yes?: unknown };
      if ((m.type === 'decision' || m.type === 'outcome') && typeof m.txId === 'string') {
        onDecisionSent({ t: sim.now, from: ctx.id, to, commit: m.commit === true, kind: m.type as 'decision' | 'outcome' }, m.txId);
      }
      if (m.type === 'vote' && typeof m.txId === 'string' && participants.includes(ctx.id)) onVoteSent(ctx.id, m.txId, m.yes === true);
      if (holding?.(ctx.id, to, message)) {
        held.push(record);
        return;
      }
      ctx.send(to, message);
      if (doubling?.(ctx.id, to, message)) sim.sendFrom(ctx.id, to, structuredClone(message));
    },
    setTimer: (delayMs, callback) => ctx.setTimer(delayMs, callback),
    cancelTimer: (timer) => ctx.cancelTimer(timer),
    random: () => ctx.random(),
    storage: {
      get: <T>(key: string) => ctx.storage.get<T>(key),
      set: (key, value) => {
        if (sim.isUp(ctx.id)) effectsOf(ctx.id).writes++;
        ctx.storage.set(key, value);
      },
      delete: (key) => {
        if (sim.isUp(ctx.id)) effectsOf(ctx.id).writes++;
        ctx.storage.delete(key);
      },
      keys: () => ctx.storage.keys(),
    },
    log: (text) => ctx.log(text),
  });

  sim = simulate<Message, SimNode<Message>>({
    seed: options.seed,
    nodes: [coordinator, ...participants],
    network: { latency: () => LATENCY, loss: 0, duplicate: 0, ...options.network },
    factory: (ctx) => {
      const boot = (boots.get(ctx.id) ?? 0) + 1;
      boots.set(ctx.id, boot);
      if (boot > 1) {
        restartedAt.set(ctx.id, sim.now);
        if (ctx.id === coordinator && [...votes.keys()].some((txId) => decisions.get(txId) === undefined)) restarts.coordinatorUndecided++;
        if (ctx.id !== coordinator && [...votes.keys()].some((txId) => inDoubt(ctx.id, txId))) restarts.participantInDoubt++;
      }
      if (ctx.id === coordinator) return createCoordinator(wrap(ctx), { voteTimeoutMs: options.voteTimeoutMs });
      const p = ctx.id;
      const node = createParticipant(wrap(ctx), { coordinator, queryIntervalMs: options.queryIntervalMs });
      return {
        receive(from, message) {
          const m = message as Partial<Extract<Message, { type: 'decision' }>>;
          const isDecision = m.type === 'decision' && typeof m.txId === 'string' && txs.has(m.txId);
          const txId = m.txId!;
          const hadLocks = isDecision && inDoubt(p, txId);
          if (isDecision && !delivered.get(p)!.has(txId)) {
            delivered.get(p)!.set(txId, m.commit === true);
            deliveredAt.set(`${p}\u0000${txId}`, sim.now);
            if (hadLocks && m.commit === true) for (const [key, value] of Object.entries(writesAt(txId, p))) model.get(p)!.set(key, { value, txId });
          }
          node.receive(from, message);
          // Reached only if no crash cut the handler short: the participant now knows the decision.
          if (!isDecision || known.get(p)!.has(txId)) return;
          known.get(p)!.set(txId, { commit: m.commit === true, t: sim.now });
          if (hadLocks && m.commit === true) {
            const s = readStatus(p);
            for (const [key, value] of Object.entries(writesAt(txId, p))) {
              if (s && s.data[key] !== value) {
                problem(`${p} learned that ${show(txId)} committed at ${fmt(sim.now)}, yet its data then had ${show(key)} = ${show(s.data[key])}; expected ${show(value)}: ` +
                  `on commit, apply the writes the prepare carried (kept in ctx.storage since the yes vote). ${story(txId)}`, p, `commit of ${txId} not applied`);
              }
            }
          }
        },
        status: () => node.status(),
      } as SimNode<Message>;
    },
  });
  sim.start();
  sim.invariant('two-phase commit', () => {
    if (problems.length === 0) for (const p of participants) if (sim.isUp(p)) statusProblem(p);
    return problems[0];
  });

  const w: World = {
    sim, roles, options, txs, sent, effects, restarts,
    submit(client, txId, writes) {
      const tx: Tx = { txId, client, writes, submittedAt: sim.now };
      txs.set(txId, tx);
      for (const [p, ws] of Object.entries(writes)) for (const [key, value] of Object.entries(ws)) writers.set(writerKey(p, value), { txId, p, key });
      if (!clients.has(client)) {
        clients.add(client);
        sim.addClient(client, (from, message) => {
          const m = message as Partial<Extract<Message, { type: 'outcome' }>>;
          if (m.type !== 'outcome' || typeof m.txId !== 'string') return;
          const t = txs.get(m.txId);
          if (!t || t.client !== client) return;
          if (typeof m.commit !== 'boolean') {
            problem(`${from} answered client ${client} with ${summarize(message)}; expected { type: 'outcome', txId, commit: true or false }`, from);
            return;
          }
          t.outcome ??= { commit: m.commit, t: sim.now };
        });
      }
      const send = () => {
        if (tx.outcome) return;
        sim.sendFrom(client, coordinator, { type: 'submit', txId, writes });
        if (options.resubmit ?? true) sim.after(RESUBMIT_MS, send);
      };
      send();
      return tx;
    },
    status: (p) => (sim.isUp(p) ? readStatus(p) : undefined),
    hold(rule) {
      holding = rule;
    },
    release() {
      holding = undefined;
      const out = held;
      held = [];
      return out;
    },
    duplicate(rule) {
      doubling = rule;
    },
    settled() {
      for (const tx of txs.values()) if (!tx.outcome) return false;
      for (const [txId] of votes) for (const p of participants) if (inDoubt(p, txId)) return false;
      // A participant whose decision handler a crash cut short may be in doubt again: it must ask.
      for (const p of participants) {
        const s = sim.isUp(p) ? readStatus(p) : undefined;
        if (s === undefined || Object.keys(s.locks).length > 0) return false;
      }
      return true;
    },
    unsettled() {
      const lines: string[] = [];
      for (const tx of txs.values()) if (!tx.outcome) lines.push(`client ${tx.client} never heard the outcome of ${show(tx.txId)}`);
      for (const [txId] of votes) {
        const doubt = participants.filter((p) => inDoubt(p, txId));
        if (doubt.length) lines.push(`${doubt.join(' and ')} voted yes on ${show(txId)} and never learned its decision (${story(txId)})`);
      }
      for (const p of participants) {
        const s = sim.isUp(p) ? readStatus(p) : undefined;
        if (s === undefined) lines.push(`${p} is down`);
        else for (const [key, txId] of Object.entries(s.locks)) lines.push(`${p} still holds ${show(key)} for ${show(txId)} (${story(txId)})`);
      }
      return lines.slice(0, 3).join('; ');
    },
    story,
    dataProblem() {
      for (const p of participants) {
        const s = readStatus(p);
        if (!s) return `${p} is down`;
        for (const [key, want] of model.get(p)!) {
          if (s.data[key] !== want.value) {
            return `${p}'s data has ${show(key)} = ${show(s.data[key])}; expected ${show(want.value)}, written by ${show(want.txId)}, the last transaction writing it that ${p} learned was committed. ${story(want.txId)}`;
          }
        }
        const locked = Object.entries(s.locks);
        if (locked.length) return `${p} still holds ${locked.map(([k, t]) => `${show(k)} for ${show(t)}`).join(', ')} once every transaction is decided: a decision releases the locks. ${story(locked[0]![1])}`;
      }
      for (const tx of txs.values()) {
        if (!tx.outcome?.commit) continue;
        for (const p of participantsOf(tx.txId)) {
          if (delivered.get(p)!.get(tx.txId) !== true) return `${show(tx.txId)} committed (its client was told so), but ${p} never learned it, so its writes are not visible there. ${story(tx.txId)}`;
        }
      }
      return undefined;
    },
    decided(txId) {
      return decisions.get(txId)?.[0]?.commit;
    },
    queries(p) {
      return sent.filter((s) => s.from === p && s.message.type === 'query');
    },
    votedAt(p, txId) {
      return voteOf(txId, p)?.yes;
    },
    known(p, txId) {
      return known.get(p)!.has(txId);
    },
    reachedAt(p, txId) {
      return deliveredAt.get(`${p}\u0000${txId}`);
    },
  };
  return w;
}

/** `prepare tx-1 x=a` rather than every field. */
export function describeMessage(message: unknown): string {
  const m = message as Message;
  switch (m.type) {
    case 'submit': return `submit ${m.txId} → ${Object.keys(m.writes).join(',')}`;
    case 'prepare': return `prepare ${m.txId} ${Object.entries(m.writes).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'vote': return `vote ${m.txId} ${m.yes ? 'yes' : 'no'}`;
    case 'decision': return `decision ${m.txId} ${m.commit ? 'commit' : 'abort'}`;
    case 'outcome': return `outcome ${m.txId} ${m.commit ? 'commit' : 'abort'}`;
    case 'query': return `query ${m.txId}`;
    default: return summarize(message);
  }
}

/** Writes of a transaction: participant → key → a value unique to this transaction. */
export function writesFor(txId: string, spec: Record<NodeId, readonly string[]>): Record<NodeId, Record<string, string>> {
  const out: Record<NodeId, Record<string, string>> = {};
  for (const [p, keys] of Object.entries(spec)) out[p] = Object.fromEntries(keys.map((k) => [k, `${txId}/${k}`]));
  return out;
}
