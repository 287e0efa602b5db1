/**
 * Helpers for the reliable-delivery suite: a link of two nodes, 'sender' and 'receiver', running the
 * learner's code (or one end scripted by the test, a "puppet"). Everything the learner's nodes send
 * is recorded as it is sent, and the rules of the contract are checked after every event of the
 * simulation, so a violation stops the run and the timeline ends at it:
 * - the receiver delivers the messages once each, in order;
 * - the receiver answers every data packet with ack = the number of messages delivered so far;
 * - message number k (from 0) travels with seq k;
 * - never more than windowSize messages in flight;
 * - a message is sent again only on a timeout: when some message in flight has gone
 *   retransmitTimeoutMs since it was last sent without an ack (never a message already acknowledged).
 */
import { show, simulate } from 'learn-ds/harness';
import {
  summarize, uniformLatency, watchSends,
  type NetworkOptions, type NodeContext, type NodeId, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { Packet, Sender, SenderOptions } from 'learn-ds/subject/reliable-delivery';
import { createReceiver, createSender } from 'learn-ds/subject/reliable-delivery';

export type { Packet, Sender, SenderOptions };
export type Sim = Simulation<Packet, SimNode<Packet>>;

export const SENDER = 'sender';
export const RECEIVER = 'receiver';
/** Float slack when comparing times. */
export const EPS = 1e-6;

export interface DataSent {
  t: number;
  seq: number;
  payload: string;
  /** This seq had been sent before. */
  again: boolean;
}

export interface AckSent {
  t: number;
  ack: number;
}

export interface Received {
  t: number;
  packet: Packet;
}

export interface LinkOptions {
  seed: number;
  network?: Partial<NetworkOptions>;
  windowSize?: number;
  retransmitTimeoutMs?: number;
  /** This end is scripted by the test (it records what it receives and sends nothing by itself). */
  puppet?: typeof SENDER | typeof RECEIVER;
  /** The payloads the receiver must deliver, by seq (default: whatever the sender was asked to send). */
  expected?: readonly string[];
}

export interface Link {
  sim: Sim;
  options: SenderOptions;
  /** The learner's sender (throws in a puppet-sender link). */
  sender: Sender;
  /** Asks the sender to send `count` more messages: 'm0', 'm1', … (numbered across calls). */
  queue(count: number): void;
  /** Payloads handed to sender.send, in order. */
  queued: string[];
  /** What the receiver delivered, and when. */
  delivered: string[];
  deliveredAt: number[];
  /** Data packets the learner's sender sent. */
  data: DataSent[];
  /** Acks the learner's receiver sent. */
  acks: AckSent[];
  /** Send times of each seq. */
  sendsOf: Map<number, number[]>;
  /** The highest ack that reached the sender (0 before any), and when it arrived. */
  maxAck: number;
  maxAckAt: number;
  /** What a puppet received. */
  inbox: Received[];
  /** Data packets that reached the receiver, per seq. */
  arrivals: Map<number, number>;
  /** sender.inFlight, read safely. */
  inFlight(): number;
  /** A scripted packet from the puppet (or on an end's behalf) through the network. */
  puppetSend(packet: Packet): void;
  retransmissions(): number;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

export function link(opts: LinkOptions): Link {
  const options: SenderOptions = { windowSize: opts.windowSize ?? 8, retransmitTimeoutMs: opts.retransmitTimeoutMs ?? 100 };
  const W = options.windowSize;
  const RTO = options.retransmitTimeoutMs;
  /** The rules, each an invariant; the first broken one stops the run (the timeline ends there). */
  const RULES = {
    order: 'each message is delivered once, in order',
    ack: 'every data packet is answered with ack = messages delivered',
    seq: 'seq numbers count messages from 0',
    window: 'at most windowSize messages in flight',
    timeout: 'a message is sent again only on a timeout',
  } as const;
  let broken: { rule: keyof typeof RULES; text: string } | undefined;
  /** Records the first broken rule, with a note on `lane` of the timeline saying what was just done. */
  const problem = (rule: keyof typeof RULES, text: string, lane?: NodeId, note?: string) => {
    if (broken) return;
    broken = { rule, text };
    if (lane && note) sim.note(lane, `✗ ${note}`);
  };
  let sim!: Sim;
  let sender: Sender | undefined;

  const l: Omit<Link, 'sim' | 'sender'> & { sim?: Sim; sender?: Sender } = {
    options, queued: [], delivered: [], deliveredAt: [], data: [], acks: [], sendsOf: new Map(),
    maxAck: 0, maxAckAt: 0, inbox: [], arrivals: new Map(),
    queue(count) {
      for (let i = 0; i < count; i++) {
        const payload = `m${l.queued.length}`;
        l.queued.push(payload);
        learnerSender().send(payload);
      }
    },
    inFlight() {
      let n: unknown;
      try {
        n = learnerSender().inFlight;
      } catch (error) {
        return sim.violation(`reading sender.inFlight threw ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`, [SENDER]);
      }
      if (!isInt(n)) return sim.violation(`sender.inFlight is ${show(n)}; expected a whole number (messages sent but not yet acknowledged)`, [SENDER]);
      return n;
    },
    puppetSend(packet) {
      const from = opts.puppet ?? RECEIVER;
      sim.sendFrom(from, from === SENDER ? RECEIVER : SENDER, packet);
    },
    retransmissions() {
      return l.data.filter((d) => d.again).length;
    },
  };

  const learnerSender = (): Sender => {
    if (!sender) sim.node(SENDER); // the simulation starts its nodes on first use
    if (!sender) throw new Error('this link has no learner sender');
    return sender;
  };
  const expected = (seq: number): string | undefined => (opts.expected ? opts.expected[seq] : l.queued[seq]);

  /** The latest time `seq` was sent strictly before `t`. */
  const lastSentBefore = (seq: number, t: number): number | undefined => {
    const times = l.sendsOf.get(seq);
    if (!times) return undefined;
    for (let i = times.length - 1; i >= 0; i--) if (times[i]! < t) return times[i];
    return undefined;
  };

  const onData = (packet: Packet) => {
    const t = sim.now;
    const p = packet as Partial<Extract<Packet, { type: 'data' }>>;
    if (p.type !== 'data' || !isInt(p.seq) || p.seq < 0 || typeof p.payload !== 'string') {
      problem('seq', `the sender sent ${show(packet)}; expected a data packet { type: 'data', seq: a whole number ≥ 0, payload: a string }`, SENDER, `sends ${summarize(packet)}`);
      return;
    }
    const { seq, payload } = p;
    const index = l.queued.indexOf(payload);
    if (index !== seq) {
      problem('seq', index === -1
        ? `the sender sent data seq=${seq} payload=${show(payload)}, a payload it was never asked to send`
        : `the sender sent ${show(payload)} with seq=${seq}; it was message number ${index} given to send() (counting from 0), so its seq must be ${index}: seq numbers start at 0 and count messages, across windows`, SENDER, `sends ${show(payload)} as seq=${seq}`);
    }
    if (seq >= l.maxAck + W) {
      const acked = l.maxAck === 0 ? 'no ack had arrived yet' : `the acks that had arrived covered only seq < ${l.maxAck} (ack=${l.maxAck} at ${l.maxAckAt.toFixed(1)} ms)`;
      problem('window', `the sender sent data seq=${seq} while ${acked}: that makes ${seq - l.maxAck + 1} messages in flight (seq ${l.maxAck} to ${seq}), more than windowSize = ${W}`, SENDER, `sends seq=${seq}: ${seq - l.maxAck + 1} in flight`);
    }
    const times = l.sendsOf.get(seq);
    const again = times !== undefined;
    if (again) {
      if (seq < l.maxAck) {
        problem('timeout', `the sender sent data seq=${seq} again although ack=${l.maxAck} had arrived at ${l.maxAckAt.toFixed(1)} ms: that ack covers every seq below ${l.maxAck}, so seq ${seq} was already acknowledged`, SENDER, `sends seq=${seq} again, acknowledged by ack=${l.maxAck}`);
      } else {
        let justified = false;
        let oldest: { seq: number; at: number } | undefined;
        const top = Math.max(...l.sendsOf.keys());
        for (let q = l.maxAck; q <= top && !justified; q++) {
          const last = lastSentBefore(q, t);
          if (last === undefined) continue;
          if (last <= t - RTO + EPS) justified = true;
          if (oldest === undefined || last < oldest.at) oldest = { seq: q, at: last };
        }
        if (!justified) {
          const prev = lastSentBefore(seq, t) ?? times[times.length - 1]!;
          problem('timeout', `the sender sent data seq=${seq} again ${(t - prev).toFixed(1)} ms after it last sent it (at ${prev.toFixed(1)} ms), ` +
            `but no message in flight had waited retransmitTimeoutMs = ${RTO} ms for its ack` +
            (oldest ? ` (the longest wait was seq ${oldest.seq}'s, sent at ${oldest.at.toFixed(1)} ms, ${(t - oldest.at).toFixed(1)} ms earlier)` : '') +
            `: retransmit only when a timeout expires, never sooner (a retransmission storm clogs the link)`, SENDER, `sends seq=${seq} again, ${(t - prev).toFixed(1)} ms after the last time`);
        }
      }
      times.push(t);
    } else {
      l.sendsOf.set(seq, [t]);
    }
    l.data.push({ t, seq, payload, again });
  };

  /** Acks sent by the learner's receiver while handling the current data packet. */
  let answered: number[] = [];
  let handling = false;
  const onAck = (packet: Packet) => {
    const p = packet as Partial<Extract<Packet, { type: 'ack' }>>;
    if (p.type !== 'ack' || !isInt(p.ack)) {
      problem('ack', `the receiver sent ${show(packet)}; expected an ack { type: 'ack', ack: a whole number }`, RECEIVER, `sends ${summarize(packet)}`);
      return;
    }
    l.acks.push({ t: sim.now, ack: p.ack });
    // While a data packet is handled, its acks are checked once the handling is over (an ack sent
    // just before the deliveries it announces is fine); any other ack is checked now.
    if (handling) answered.push(p.ack);
    else checkAck(p.ack);
  };
  const checkAck = (ack: number) => {
    const n = l.delivered.length;
    if (ack !== n) {
      problem('ack', `the receiver sent ack=${ack} after delivering ${n} message${n === 1 ? '' : 's'}${n > 0 ? ` (seq 0 to ${n - 1})` : ''}; ` +
        `the ack must be the number of messages delivered so far, ${n}, meaning "I have every seq below ${n}"`, RECEIVER, `sends ack=${ack} with ${n} delivered`);
    }
  };

  const onDeliver = (payload: unknown) => {
    const n = l.delivered.length;
    const want = expected(n);
    if (payload !== want) {
      const before = l.delivered.indexOf(payload as string);
      const later = opts.expected ? opts.expected.indexOf(payload as string) : l.queued.indexOf(payload as string);
      const sofar = n === 0 ? 'nothing yet' : n <= 6 ? l.delivered.join(', ') : `${l.delivered.slice(0, 3).join(', ')} … ${l.delivered.slice(-2).join(', ')}`;
      if (before !== -1) {
        problem('order', `the receiver delivered ${show(payload)} a second time (first at ${l.deliveredAt[before]!.toFixed(1)} ms): ` +
          `each message must be delivered exactly once, even when its data packet arrives again (duplicated by the network, or retransmitted)`, RECEIVER, `delivers ${show(payload)} again`);
      } else if (later > n) {
        problem('order', `the receiver delivered ${show(payload)} (seq ${later}) while seq ${n}${want === undefined ? '' : ` (${show(want)})`} was next: ` +
          `messages must be delivered in seq order, so a packet that arrives early waits (or is dropped) until the ones before it are delivered (delivered so far: ${sofar})`, RECEIVER, `delivers ${show(payload)} before seq ${n}`);
      } else {
        problem('order', `the receiver delivered ${show(payload)}, which is not a message the sender sent; expected ${want === undefined ? 'nothing more' : show(want)}`, RECEIVER, `delivers ${show(payload)}`);
      }
    }
    l.delivered.push(payload as string);
    l.deliveredAt.push(sim.now);
  };

  const watch = (ctx: NodeContext<Packet>, onSend: (packet: Packet) => void): NodeContext<Packet> =>
    watchSends(ctx, (_to, packet) => onSend(packet));

  sim = simulate<Packet, SimNode<Packet>>({
    seed: opts.seed,
    nodes: [SENDER, RECEIVER],
    network: { latency: uniformLatency(5, 15), loss: 0, duplicate: 0, ...opts.network },
    // Each packet the network loses or duplicates is a step a failure can be shrunk to.
    messageFaults: true,
    factory: (ctx) => {
      if (ctx.id === opts.puppet) return { receive: (_from, packet) => void l.inbox.push({ t: sim.now, packet }) };
      if (ctx.id === SENDER) {
        const node = createSender(watch(ctx, onData), RECEIVER, { ...options });
        sender = node;
        return {
          receive(from, packet) {
            if (packet.type === 'ack' && isInt(packet.ack) && packet.ack > l.maxAck) {
              l.maxAck = packet.ack;
              l.maxAckAt = sim.now;
            }
            node.receive(from, packet);
          },
        };
      }
      const node = createReceiver(watch(ctx, onAck), onDeliver);
      return {
        receive(from, packet) {
          if (packet.type !== 'data') return node.receive(from, packet);
          const seq = packet.seq;
          const duplicate = l.delivered.length > seq;
          l.arrivals.set(seq, (l.arrivals.get(seq) ?? 0) + 1);
          answered = [];
          handling = true;
          try {
            node.receive(from, packet);
          } finally {
            handling = false;
          }
          for (const ack of answered) checkAck(ack);
          if (answered.length === 0) {
            problem('ack', `the receiver received data seq=${seq}` +
              (duplicate ? ` (a copy of a message it had already delivered)` : seq > l.delivered.length ? ` (early: seq ${l.delivered.length} was next)` : '') +
              ` and sent no ack; it must answer every data packet right away, duplicates and early ones included: ` +
              `if the ack for seq ${seq} was lost, only the ack of a copy can tell the sender to stop resending it`, RECEIVER, `no ack for data seq=${seq}`);
          }
        },
      };
    },
  });
  for (const rule of Object.keys(RULES) as Array<keyof typeof RULES>) {
    sim.invariant(RULES[rule], () => (broken?.rule === rule ? broken.text : undefined));
  }
  if (opts.puppet !== SENDER) {
    sim.invariant(RULES.window, () => {
      const n = l.inFlight();
      return n > W ? `sender.inFlight is ${n}, more than windowSize = ${W}` : undefined;
    });
  }
  l.sim = sim;
  Object.defineProperty(l, 'sender', { get: learnerSender });
  return l as Link;
}

/** Runs until every queued message is delivered and its ack has reached the sender; fails with what is missing. */
export function transfer(l: Link, withinMs: number, over: string): number {
  const n = l.queued.length;
  const start = l.sim.now;
  const done = l.sim.runUntilTrue(() => l.delivered.length >= n && l.maxAck >= n, withinMs);
  if (done !== undefined) return done;
  const W = l.options.windowSize;
  const RTO = l.options.retransmitTimeoutMs;
  const k = l.delivered.length;
  const after = `${n} messages ${over} (windowSize = ${W}, retransmitTimeoutMs = ${RTO}): after ${((l.sim.now - start) / 1000).toFixed(1)} s`;
  if (k < n) {
    const times = l.sendsOf.get(k) ?? [];
    const arrivals = l.arrivals.get(k) ?? 0;
    let why: string;
    if (times.length === 0) {
      why = `the sender never sent seq=${k} (${show(l.queued[k])}); the highest ack it had received was ack=${l.maxAck}, ` +
        `so ${k - l.maxAck} of its windowSize = ${W} messages were in flight and it could send more`;
    } else if (arrivals === 0) {
      const last = times[times.length - 1]!;
      why = `the sender sent seq=${k} ${times.length === 1 ? 'once' : `${times.length} times`}, last at ${last.toFixed(1)} ms, and the network lost ` +
        `${times.length === 1 ? 'it' : 'every copy'}; ${times.length === 1 ? 'it never sent it again' : `then it stopped sending it`}: ` +
        `a message still unacknowledged retransmitTimeoutMs = ${RTO} ms after it was last sent must be sent again, until an ack covers it`;
    } else {
      why = `seq=${k} (${show(l.queued[k])}) reached the receiver ${arrivals} time${arrivals === 1 ? '' : 's'}, but the receiver did not deliver it`;
    }
    return l.sim.violation(`${after}, the receiver had delivered ${k} of them: ${why}`, [SENDER, RECEIVER]);
  }
  const times = l.sendsOf.get(l.maxAck) ?? [];
  return l.sim.violation(
    `${after}, all were delivered but the highest ack that had reached the sender was ack=${l.maxAck}` +
      ` (the receiver's last ack: ${l.acks.length === 0 ? 'none' : `ack=${l.acks[l.acks.length - 1]!.ack}`}); the sender sent seq=${l.maxAck} ${times.length} time(s)` +
      `: every data packet, a copy of one already delivered included, must be answered with an ack`,
    [SENDER, RECEIVER],
  );
}

export function describePacket(packet: unknown): string {
  return summarize(packet);
}

export function seqList(seqs: readonly number[]): string {
  return seqs.length === 0 ? 'none' : seqs.join(', ');
}
