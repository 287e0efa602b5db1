/**
 * Worlds for the leases-fencing suite: a lock service, holders and a storage service (each either
 * the learner's code or a puppet scripted by the test), a client that submits writes, and the rules
 * checked after every event of the simulation:
 * - the lock service never grants a lease to one holder while another holder's lease is in force
 *   (as the lock service's own clock counts it), and every new lease has a token higher than every
 *   token granted before, crashes included;
 * - it renews only the lease in force, for its holder and token;
 * - a holder writes only with a token it was granted, while that lease is in force;
 * - the storage accepts a token equal to or higher than the highest it has accepted, and rejects
 *   only lower ones (naming the highest), crashes included.
 */
import { show, simulate } from 'learn-ds/harness';
import {
  summarize, uniformLatency,
  type ClockSpec, type NetworkOptions, type NodeContext, type NodeId, type SimNode, type Simulation, type TraceEvent,
} from 'learn-ds/sim';
import type { Message, StorageNode } from 'learn-ds/subject/leases-fencing';
import { createHolder, createLockService, createStorage } from 'learn-ds/subject/leases-fencing';

export type { Message };
export type Sim = Simulation<Message, SimNode<Message>>;

export const LOCK = 'lock';
export const STORAGE = 'storage';
export const CLIENT = 'client';
export const LEASE = 300;
export const MARGIN = 30;
export const RETRY = 25;
/** Float slack when comparing true times computed from drifting clocks. */
const EPS = 1e-6;

export interface Lease {
  token: number;
  holder: NodeId;
  grantedAt: number;
  /** True time at which the lock service's clock reaches the lease's end (renewals push it). */
  endsAt: number;
}

export interface Sent {
  t: number;
  from: NodeId;
  to: NodeId;
  message: Message;
}

export interface World {
  sim: Sim;
  holders: NodeId[];
  /** Every lease granted, by token (the latest grant of a token if it was granted twice). */
  leases: Map<number, Lease>;
  /** Every message sent, in order. */
  sent: Sent[];
  /** Messages received by puppets and by the client. */
  inbox(id: NodeId): Sent[];
  /** Tokens the storage accepted, in order, with when. */
  accepted: Array<{ t: number; token: number; key: string }>;
  rejected: Array<{ t: number; token: number; key: string; highest: number }>;
  /** How many times each node started. */
  boots: Map<NodeId, number>;
  /** Sends `message` from `from` (a puppet, the client, or on a node's behalf). */
  send(from: NodeId, to: NodeId, message: Message): void;
  /** The client submits `key = value` to `holder`. */
  submit(holder: NodeId, key: string, value: unknown): void;
  /** Delivers an old message again, as a network that held it for long would (not judged as a new send). */
  replay(from: NodeId, to: NodeId, message: Message): void;
  /** The value the learner's storage holds for `key`. */
  read(key: string): unknown;
}

export interface WorldOptions {
  seed: number;
  holders?: number;
  /** Roles played by puppets (the test) instead of the learner's code. */
  puppets?: readonly ('lock' | 'storage' | 'holders')[];
  network?: Partial<NetworkOptions>;
  clocks?: Record<NodeId, ClockSpec>;
}

function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/** A message as the timeline writes it, without the noise of values. */
export function describe(m: unknown): string {
  return summarize(m, 50);
}

export function world(opts: WorldOptions): World {
  const holders = Array.from({ length: opts.holders ?? 3 }, (_, i) => `h${i + 1}`);
  const puppets = new Set(opts.puppets ?? []);
  const isPuppet = (id: NodeId) =>
    (id === LOCK && puppets.has('lock')) || (id === STORAGE && puppets.has('storage')) || (holders.includes(id) && puppets.has('holders'));
  const clocks = opts.clocks ?? {};
  const inboxes = new Map<NodeId, Sent[]>();
  const sent: Sent[] = [];
  const leases = new Map<number, Lease>();
  const accepted: World['accepted'] = [];
  const rejected: World['rejected'] = [];
  const boots = new Map<NodeId, number>();
  const problems: string[] = [];
  /** `${holder}|${request}` → the acquire or renew it was. */
  const requests = new Map<string, Message>();
  let highestGranted = 0;
  let highestAccepted = 0;
  let storageBootOfHighest = 1;
  /** The write the storage is handling now (it answers in the same handler). */
  let handling: Extract<Message, { type: 'write' }> | undefined;
  let replaying = false;
  let sim!: Sim;

  const spec = (id: NodeId) => clocks[id] ?? {};
  /** The true time at which `id`'s clock reads `local`. */
  const trueTime = (id: NodeId, local: number) => (local - (spec(id).offsetMs ?? 0)) / (1 + (spec(id).drift ?? 0));
  const problem = (text: string) => {
    problems.push(text);
  };
  const at = (t: number) => `${t.toFixed(1)} ms`;

  const inForce = (holder: NodeId, now: number): Lease | undefined => {
    for (const lease of leases.values()) if (lease.holder === holder && now < lease.endsAt - EPS) return lease;
    return undefined;
  };

  const onGrant = (to: NodeId, m: Extract<Message, { type: 'granted' }>, now: number) => {
    const request = requests.get(`${to}|${m.request}`);
    const endsAt = trueTime(LOCK, sim.localTime(LOCK, now) + LEASE);
    if (request?.type === 'renew') {
      const lease = leases.get(m.token);
      if (m.token !== request.token) {
        return problem(`${LOCK} answered ${to}'s renew of token ${request.token} with a grant of token ${m.token} at ${at(now)}; a renewal keeps the lease's token`);
      }
      if (lease === undefined || lease.holder !== to || m.token !== highestGranted || now >= lease.endsAt - EPS) {
        const why = lease === undefined
          ? `token ${m.token} was never granted`
          : lease.holder !== to
            ? `token ${m.token} was granted to ${lease.holder}, not to ${to}`
            : m.token !== highestGranted
              ? `token ${m.token} is stale: token ${highestGranted} was granted since`
              : `its lease had already ended at ${at(lease.endsAt)} (by the lock service's clock, ${LEASE} ms after it was granted or last renewed)`;
        return problem(
          `${LOCK} renewed token ${m.token} for ${to} at ${at(now)}, but ${why}; only the lease in force may be renewed, by its holder, with its token: ` +
            'otherwise a holder that lost its lease (paused, cut off) gets it back while another holds it',
        );
      }
      lease.endsAt = endsAt;
      return;
    }
    // A new lease.
    if (m.token <= highestGranted) {
      const restarted = (boots.get(LOCK) ?? 1) > 1 ? ` (${LOCK} has restarted ${(boots.get(LOCK) ?? 1) - 1} time(s): the last token granted must be in ctx.storage, saved before the grant is sent)` : '';
      problem(`${LOCK} granted token ${m.token} to ${to} at ${at(now)}, but it had already granted token ${highestGranted}: every new lease needs a token higher than every token granted before${restarted}`);
    }
    for (const lease of leases.values()) {
      if (lease.holder !== to && now < lease.endsAt - EPS) {
        problem(
          `${LOCK} granted a lease (token ${m.token}) to ${to} at ${at(now)} while ${lease.holder}'s lease (token ${lease.token}, granted at ${at(lease.grantedAt)}) was in force until ${at(lease.endsAt)}: ` +
            (lastLockRestart > lease.grantedAt
              ? `${LOCK} restarted at ${at(lastLockRestart)} and forgot that lease: after a restart, grant nothing that could overlap a lease granted before it (wait ${LEASE} ms)`
              : 'one lease at a time: answer busy while a lease is in force'),
        );
        break;
      }
    }
    highestGranted = Math.max(highestGranted, m.token);
    leases.set(m.token, { token: m.token, holder: to, grantedAt: now, endsAt });
  };

  const onWrite = (from: NodeId, m: Extract<Message, { type: 'write' }>, now: number) => {
    const lease = leases.get(m.token);
    if (lease === undefined || lease.holder !== from) {
      return problem(`${from} sent a write of ${show(m.key)} with token ${m.token} at ${at(now)}, a token ${lease ? `granted to ${lease.holder}` : 'the lock service never granted'}; a holder writes only with the token of its own lease`);
    }
    if (now >= lease.endsAt - EPS) {
      const newer = [...leases.values()].find((l) => l.token > m.token);
      problem(
        `${from} sent a write of ${show(m.key)} with token ${m.token} at ${at(now)}, after its lease ended at ${at(lease.endsAt)} (by the lock service's clock)` +
          (newer ? `; ${newer.holder} has held token ${newer.token} since ${at(newer.grantedAt)}` : '') +
          `: a holder acts only while its lease is surely valid, checked on its own clock at the moment it acts: from when it sent the request, ${LEASE} − ${MARGIN} ms (the margin covers clock drift)`,
      );
    }
  };

  let lastLockRestart = -Infinity;
  const onStorageAnswer = (m: Message, now: number) => {
    const write = handling;
    if (write === undefined || (m.type !== 'write-ok' && m.type !== 'write-rejected')) return;
    const restarted = (boots.get(STORAGE) ?? 1) !== storageBootOfHighest
      ? ` (${STORAGE} restarted since it accepted token ${highestAccepted}: the highest token must be kept in ctx.storage)`
      : '';
    if (m.type === 'write-ok') {
      if (write.token < highestAccepted) {
        problem(`${STORAGE} accepted a write of ${show(write.key)} with token ${write.token} at ${at(now)}, after accepting token ${highestAccepted}: a token lower than the highest seen must be rejected, or a holder whose lease ended (paused, delayed) overwrites newer data${restarted}`);
      }
      accepted.push({ t: now, token: write.token, key: write.key });
      if (write.token >= highestAccepted) {
        highestAccepted = write.token;
        storageBootOfHighest = boots.get(STORAGE) ?? 1;
      }
      return;
    }
    if (write.token >= highestAccepted) {
      problem(`${STORAGE} rejected a write of ${show(write.key)} with token ${write.token} at ${at(now)}, although the highest token it had accepted is ${highestAccepted}: only a token lower than the highest is rejected (an equal one is the same holder writing again)`);
    } else if (m.highest !== highestAccepted) {
      problem(`${STORAGE} rejected token ${write.token} at ${at(now)} saying the highest is ${show(m.highest)}; the highest token it had accepted is ${highestAccepted}`);
    }
    rejected.push({ t: now, token: write.token, key: write.key, highest: m.type === 'write-rejected' ? m.highest : NaN });
  };

  const puppet = (ctx: NodeContext<Message>): SimNode<Message> => {
    const inbox: Sent[] = [];
    inboxes.set(ctx.id, inbox);
    return { receive: (from, message) => void inbox.push({ t: sim.now, from, to: ctx.id, message }) };
  };

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: [...holders, LOCK, STORAGE],
    clocks,
    network: { latency: uniformLatency(1, 10), loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      boots.set(ctx.id, (boots.get(ctx.id) ?? 0) + 1);
      if (ctx.id === LOCK && (boots.get(LOCK) ?? 1) > 1) lastLockRestart = sim.now;
      if (isPuppet(ctx.id)) return puppet(ctx);
      if (ctx.id === LOCK) return createLockService(ctx, { leaseMs: LEASE });
      if (ctx.id === STORAGE) {
        const node: StorageNode = createStorage(ctx);
        return {
          receive(from, message) {
            handling = isMessage(message) && message.type === 'write' ? message : undefined;
            try {
              node.receive(from, message);
            } finally {
              handling = undefined;
            }
          },
          read: (key: string) => node.read(key),
        } as StorageNode;
      }
      return createHolder(ctx, { lockService: LOCK, storage: STORAGE, leaseMs: LEASE, marginMs: MARGIN, retryMs: RETRY });
    },
  });
  const clientInbox: Sent[] = [];
  inboxes.set(CLIENT, clientInbox);
  sim.addClient(CLIENT, (from, message) => void clientInbox.push({ t: sim.now, from, to: CLIENT, message }));

  sim.onSend((from, to, message) => {
    if (!isMessage(message) || replaying) return;
    const now = sim.now;
    sent.push({ t: now, from, to, message });
    if (to === LOCK && (message.type === 'acquire' || message.type === 'renew')) requests.set(`${from}|${message.request}`, message);
    if (from === LOCK && message.type === 'granted') onGrant(to, message, now);
    if (!puppets.has('holders') && holders.includes(from) && message.type === 'write') onWrite(from, message, now);
    if (from === STORAGE) onStorageAnswer(message, now);
  });
  sim.invariant('the rules of leases and fencing tokens', () => problems[0]);

  return {
    sim, holders, leases, sent, accepted, rejected, boots,
    inbox: (id) => inboxes.get(id) ?? [],
    send: (from, to, message) => sim.sendFrom(from, to, message),
    replay: (from, to, message) => {
      replaying = true;
      try {
        sim.sendFrom(from, to, message);
      } finally {
        replaying = false;
      }
    },
    submit: (holder, key, value) => sim.sendFrom(CLIENT, holder, { type: 'submit', key, value }),
    read: (key) => sim.call(STORAGE, (n) => (n as StorageNode).read(key)),
  };
}

/** The writes `holder` sent, as `token:key` strings. */
export function writesOf(w: World, holder: NodeId, since = 0): Array<{ t: number; token: number; key: string }> {
  return w.sent
    .filter((s) => s.from === holder && s.message.type === 'write' && s.t >= since)
    .map((s) => ({ t: s.t, token: (s.message as { token: number }).token, key: (s.message as { key: string }).key }));
}

/** Timelines of these worlds: submits and ticks left out, they are the steady background. */
export function quiet(e: TraceEvent): boolean {
  return !((e.kind === 'deliver' || e.kind === 'drop') && isMessage(e.message) && e.message.type === 'submit');
}

export const LANES = ['h1', 'h2', 'h3', LOCK, STORAGE];

export function list(items: readonly string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ');
}
