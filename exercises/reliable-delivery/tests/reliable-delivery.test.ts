import { test } from 'vitest';
import { check, checkScenario, show } from 'learn-ds/harness';
import { uniformLatency, type NetworkOptions } from 'learn-ds/sim';
import { EPS, RECEIVER, SENDER, link, seqList, transfer, type Link } from './helpers.ts';

// Unless a check says otherwise, every packet takes 5 to 15 ms (helpers.ts), so a round trip takes
// at most 30 ms, well below the retransmission timeout.
const WINDOW = 8;
const RTO = 100;
/** A timer may fire a little late (an implementation may check every few ms with ctx.now()). */
const SLACK = 25;
/** Scripted scenarios: every packet takes exactly this long, so nothing is reordered. */
const FIXED = 5;
const TIMELINE = { lanes: [SENDER, RECEIVER], rows: 24 };

const fmt = (t: number) => `${t.toFixed(1)} ms`;
const pct = (p: number) => `${Math.round(p * 100)} %`;

function dataSince(l: Link, since: number): string {
  const d = l.data.filter((x) => x.t >= since - EPS);
  return d.length === 0 ? 'nothing' : d.map((x) => `seq ${x.seq} (${show(x.payload)}) at ${fmt(x.t)}`).join(', ');
}

function expectInFlight(l: Link, expected: number, after: string): void {
  const n = l.inFlight();
  check(n === expected, () => `${after}: sender.inFlight is ${n}; expected ${expected} (messages sent and not yet acknowledged)`);
}

/**
 * Both ends run your code; `messages` are queued at 0 ms (or, with `spread`, a few at 0 ms and the
 * rest at random times over 3 s); returns when all are delivered and acknowledged.
 */
function endToEnd(
  seed: number,
  network: Partial<NetworkOptions>,
  what: string,
  opts: { messages?: number; spread?: boolean; windowSize?: number; withinMs?: number } = {},
): { l: Link; done: number } {
  const messages = opts.messages ?? 50;
  const l = link({ seed, network, windowSize: opts.windowSize ?? WINDOW, retransmitTimeoutMs: RTO });
  if (opts.spread) {
    const first = Math.floor(messages / 5);
    l.queue(first);
    for (let i = first; i < messages; i++) l.sim.at(l.sim.random() * 3_000, () => l.queue(1));
  } else {
    l.queue(messages);
  }
  if (opts.spread) l.sim.runUntilTrue(() => l.queued.length >= messages, 3_001);
  const withinMs = opts.withinMs ?? 30_000;
  const done = transfer(l, withinMs, what);
  expectInFlight(l, 0, `all ${messages} messages were delivered and ack=${messages} reached the sender at ${fmt(done)}`);
  return { l, done };
}

// ── The receiver, fed by a scripted sender ───────────────────────────────────────────────────

/** seq 0, then 2 (early), 1, a copy of 0, a copy of 2, 3: 10 ms apart, each taking 5 ms. */
const SCRIPT: ReadonlyArray<[number, string]> = [[0, 'a'], [2, 'c'], [1, 'b'], [0, 'a'], [2, 'c'], [3, 'd']];

function scriptedSender(seed: number): Link {
  const l = link({ seed, puppet: SENDER, network: { latency: () => FIXED }, expected: ['a', 'b', 'c', 'd'] });
  SCRIPT.forEach(([seq, payload], i) => l.sim.at(10 * i, () => l.puppetSend({ type: 'data', seq, payload })));
  l.sim.runFor(10 * SCRIPT.length + FIXED);
  return l;
}

const SCRIPT_TEXT = 'data packets seq 0 (a), 2 (c, early), 1 (b), 0 again, 2 again and 3 (d), one after the other';

test('the receiver delivers each message once and in seq order, whatever order its packets arrive in', () => {
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    const l = scriptedSender(seed);
    check(
      l.delivered.length === 4 && l.delivered.join() === 'a,b,c,d',
      () => `the receiver got ${SCRIPT_TEXT}; it delivered ${l.delivered.length === 0 ? 'nothing' : l.delivered.map((p) => show(p)).join(', ')}; expected 'a', 'b', 'c', 'd', each once`,
    );
  });
});

test('the receiver answers every data packet, copies and early ones included, with ack = the number of messages delivered so far', () => {
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    const l = scriptedSender(seed);
    const acks = l.inbox.filter((r) => r.packet.type === 'ack');
    check(
      acks.length === SCRIPT.length,
      () => `the receiver got ${SCRIPT_TEXT} and sent ${acks.length} ack(s): ${acks.map((r) => show(r.packet)).join(', ') || 'none'}; ` +
        `expected one ack per data packet, ${SCRIPT.length} in all`,
    );
  });
});

// ── The sender, acknowledged by a scripted receiver ──────────────────────────────────────────

function scriptedReceiver(seed: number, windowSize: number): Link {
  return link({ seed, puppet: RECEIVER, network: { latency: () => FIXED }, windowSize, retransmitTimeoutMs: RTO });
}

/** The receiver sends `ack`; runs until it has reached the sender. Returns when it arrived. */
function ackAndWait(l: Link, ack: number): number {
  l.puppetSend({ type: 'ack', ack });
  l.sim.runFor(FIXED);
  return l.sim.now;
}

function expectData(l: Link, seqs: readonly number[], after: string, why: string): void {
  const got = l.data.map((d) => d.seq);
  check(
    got.join() === seqs.join(),
    () => `${after}, the sender had sent data seq ${seqList(got)}; expected seq ${seqList(seqs)}${why}`,
  );
}

test('the sender numbers messages 0, 1, 2, … and sends each one at once while the window has room', () => {
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    const l = scriptedReceiver(seed, 4);
    l.queue(3);
    const first = 'right after send(\'m0\'), send(\'m1\'), send(\'m2\') (windowSize = 4)';
    expectData(l, [0, 1, 2], first, ', sent at once, seq numbers counting messages from 0');
    expectInFlight(l, 3, first);
    l.queue(3);
    expectData(l, [0, 1, 2, 3], 'after three more sends', ': only 4 messages may be in flight, m4 and m5 wait for an ack');
    expectInFlight(l, 4, 'after three more sends');
  });
});

test('the sender keeps at most windowSize messages in flight and sends the next ones as acks make room', () => {
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    const l = scriptedReceiver(seed, 3);
    l.queue(6);
    expectData(l, [0, 1, 2], 'right after six calls of send() (windowSize = 3)', ': three in flight, the other three waiting');
    l.sim.runFor(10);
    const t1 = ackAndWait(l, 1);
    expectData(l, [0, 1, 2, 3], `after ack=1 arrived at ${fmt(t1)}`, ': seq 0 is acknowledged, which makes room for seq 3 at once');
    expectInFlight(l, 3, `after ack=1 arrived at ${fmt(t1)}`);
    const t3 = ackAndWait(l, 3);
    expectData(l, [0, 1, 2, 3, 4, 5], `after ack=3 arrived at ${fmt(t3)}`, ': seq 1 and 2 are acknowledged, which makes room for seq 4 and 5');
    expectInFlight(l, 3, `after ack=3 arrived at ${fmt(t3)}`);
    const t6 = ackAndWait(l, 6);
    expectInFlight(l, 0, `after ack=6 arrived at ${fmt(t6)}`);
  });
});

test('the sender takes ack=n as covering every seq below n, so a lost ack is made up for by the next one', () => {
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    const l = scriptedReceiver(seed, 4);
    l.queue(4);
    l.sim.runFor(10);
    const t = ackAndWait(l, 3);
    const after = `the sender sent seq 0 to 3 (windowSize = 4); the receiver's ack=1 and ack=2 were lost and ack=3 arrived at ${fmt(t)}`;
    expectInFlight(l, 1, `${after} (it acknowledges seq 0, 1 and 2)`);
    l.queue(3);
    expectData(l, [0, 1, 2, 3, 4, 5, 6], `${after}; then send() was called three times`, ': three places in the window were free');
    l.sim.runFor(3 * RTO);
    const t7 = ackAndWait(l, 7);
    expectInFlight(l, 0, `after ack=7 arrived at ${fmt(t7)}`);
  });
});

test('the sender sends an unacknowledged message again after retransmitTimeoutMs, not sooner', () => {
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    const l = scriptedReceiver(seed, 4);
    l.queue(1);
    l.sim.runFor(2 * RTO + 2 * SLACK);
    const times = l.sendsOf.get(0) ?? [];
    const sends = times.length === 0 ? 'never' : times.map(fmt).join(', ');
    const setup = `send('m0') at 0 ms (retransmitTimeoutMs = ${RTO}), and no ack ever came back; the sender sent seq 0 at: ${sends}`;
    check(times.length >= 2 && times[1]! <= RTO + SLACK, () => `${setup}; expected it again between ${RTO} and ${RTO + SLACK} ms: a message still unacknowledged retransmitTimeoutMs after it was last sent must be sent again`);
    check(times.length >= 3 && times[2]! <= times[1]! + RTO + SLACK, () => `${setup}; expected it again ${RTO} ms after the first retransmission, and so on until an ack comes`);
    const t = ackAndWait(l, 1);
    l.sim.runFor(3 * RTO);
    const late = l.data.filter((d) => d.t > t);
    check(late.length === 0, () => `after ack=1 arrived at ${fmt(t)}, the sender still sent ${dataSince(l, t + EPS)}; expected nothing: seq 0 was acknowledged`);
  });
});

test('the sender times each message from its own last send, to the fraction of a millisecond (retransmitTimeoutMs = 100.75, windowSize = 1 and 2)', () => {
  const rto = 100.75;
  checkScenario({ seeds: 1, ...TIMELINE }, (seed) => {
    // A window of one: exactly one message in flight, the next waits; a fractional timeout is not rounded.
    const one = link({ seed, puppet: RECEIVER, network: { latency: () => FIXED }, windowSize: 1, retransmitTimeoutMs: rto });
    one.queue(2);
    expectData(one, [0], 'right after send(\'m0\'), send(\'m1\') (windowSize = 1)', ': one message in flight, m1 waits for an ack');
    one.sim.runFor(rto + SLACK);
    const times = one.sendsOf.get(0) ?? [];
    check(
      times.length >= 2 && times[1]! >= rto - EPS && times[1]! <= rto + SLACK,
      () => `send('m0') at 0 ms (retransmitTimeoutMs = ${rto}), and no ack came back; the sender sent seq 0 at: ${times.map(fmt).join(', ')}; ` +
        `expected it again between ${rto} and ${rto + SLACK} ms: a message still unacknowledged retransmitTimeoutMs after it was last sent is sent again, not sooner (do not round the timeout)`,
    );
    const t = ackAndWait(one, 1);
    expectData(one, [0, 0, 1], `after ack=1 arrived at ${fmt(t)}`, ': seq 0 is acknowledged, which makes room for seq 1 at once');
    // Each message's clock starts at its own last send: seq 1, sent after an ack at about 25 ms, may not be
    // resent when seq 0's timeout (from 0 ms) expires, whatever the design (a timer per message, or one restarted on progress).
    const two = link({ seed, puppet: RECEIVER, network: { latency: () => FIXED }, windowSize: 2, retransmitTimeoutMs: rto });
    two.queue(1);
    two.sim.runFor(20);
    two.puppetSend({ type: 'ack', ack: 1 });
    two.sim.runFor(40);
    two.queue(1);
    const sentAt = two.sim.now;
    two.sim.runFor(rto + SLACK);
    const again = two.sendsOf.get(1) ?? [];
    check(
      again.length >= 2 && again[1]! >= sentAt + rto - EPS && again[1]! <= sentAt + rto + SLACK,
      () => `seq 0 was sent at 0 ms and acknowledged at 25 ms; seq 1 was sent at ${fmt(sentAt)} and never acknowledged; the sender sent seq 1 at: ${again.map(fmt).join(', ')}; ` +
        `expected it again between ${fmt(sentAt + rto)} and ${fmt(sentAt + rto + SLACK)}: a message is sent again retransmitTimeoutMs = ${rto} ms after it was last sent, not sooner`,
    );
  });
});

// ── Both ends: your sender and your receiver over a faulty link ──────────────────────────────

const LOSSY: Partial<NetworkOptions> = { loss: 0.3 };
const DUPLICATING: Partial<NetworkOptions> = { duplicate: 0.3 };
const REORDERING: Partial<NetworkOptions> = { latency: uniformLatency(1, 80) };
const EVERYTHING: Partial<NetworkOptions> = { loss: 0.3, duplicate: 0.3, latency: uniformLatency(1, 80) };

test('delivers every message exactly once, in order, over a link that loses 30 % of packets', () => {
  checkScenario({ seeds: 40, ...TIMELINE }, (seed) => {
    endToEnd(seed, LOSSY, `over a link that loses ${pct(0.3)} of packets, data and acks alike`);
  });
});

test('delivers every message exactly once, in order, over a link that duplicates 30 % of packets', () => {
  checkScenario({ seeds: 40, ...TIMELINE }, (seed) => {
    endToEnd(seed, DUPLICATING, `over a link that delivers ${pct(0.3)} of packets twice`);
  });
});

test('delivers every message exactly once, in order, over a link that reorders packets (latency 1 to 80 ms)', () => {
  checkScenario({ seeds: 40, ...TIMELINE }, (seed) => {
    endToEnd(seed, REORDERING, 'over a link where each packet takes 1 to 80 ms (so packets overtake one another)');
  });
});

test('delivers every message exactly once, in order, when the link loses, duplicates and reorders packets and messages come at any time', () => {
  checkScenario({ seeds: 40, ...TIMELINE }, (seed) => {
    endToEnd(seed, EVERYTHING, `over a link that loses ${pct(0.3)}, duplicates ${pct(0.3)} and reorders packets (1 to 80 ms), sent over 3 s`, { spread: true });
  });
});

const BURST_WITHIN = 40_000;

test(`gets a burst of 200 messages through loss, duplication and reordering within ${BURST_WITHIN / 1000} s`, () => {
  checkScenario({ seeds: 10, ...TIMELINE }, (seed) => {
    endToEnd(seed, EVERYTHING, `over a link that loses ${pct(0.3)}, duplicates ${pct(0.3)} and reorders packets (1 to 80 ms)`, { messages: 200, withinMs: BURST_WITHIN });
  });
});

test('uses its window: 200 messages take far less time than 200 round trips (stop-and-wait)', () => {
  const latency = 10;
  const messages = 200;
  const roundTrip = 2 * latency;
  const ideal = Math.ceil(messages / WINDOW) * roundTrip;
  const stopAndWait = messages * roundTrip;
  const bound = 2 * ideal;
  checkScenario({ seeds: 2, ...TIMELINE }, (seed) => {
    const { done } = endToEnd(seed, { latency: () => latency }, `over a perfect link where every packet takes ${latency} ms`, { messages, withinMs: 2 * stopAndWait });
    check(
      done <= bound,
      () => `${messages} messages sent at 0 ms were all acknowledged at ${fmt(done)}; with windowSize = ${WINDOW} and a round trip of ${roundTrip} ms, ` +
        `a full window per round trip takes about ${ideal} ms, while stop-and-wait (one message per round trip) takes ${messages} × ${roundTrip} = ${stopAndWait} ms; ` +
        `expected at most ${bound} ms: keep up to windowSize messages in flight, and send the next one as soon as an ack makes room`,
    );
  });
});

test('never has more than windowSize messages in flight, whatever the network does', () => {
  checkScenario({ seeds: 30, ...TIMELINE }, (seed) => {
    endToEnd(seed, EVERYTHING, `over a link that loses ${pct(0.3)}, duplicates ${pct(0.3)} and reorders packets`, { windowSize: 3, spread: true });
  });
});

test('sends nothing twice when nothing is lost (a message is sent again only on a timeout)', () => {
  checkScenario({ seeds: 20, ...TIMELINE }, (seed) => {
    const { l } = endToEnd(seed, { latency: () => 10, duplicate: 0.3 }, 'over a link that loses nothing (every packet takes 10 ms; 30 % are duplicated), sent over 3 s', { messages: 100, spread: true });
    const again = l.data.filter((d) => d.again);
    check(
      again.length === 0,
      () => `over a link that loses nothing, where every packet takes 10 ms (a round trip of 20 ms, far below retransmitTimeoutMs = ${RTO}), ` +
        `the sender sent ${again.length} data packet(s) again: ${again.slice(0, 5).map((d) => `seq ${d.seq} at ${fmt(d.t)} (first sent at ${fmt(l.sendsOf.get(d.seq)![0]!)})`).join(', ')}${again.length > 5 ? ', …' : ''}; ` +
        `expected none: a message is sent again only when retransmitTimeoutMs pass without an ack covering it (cancel or ignore the timer of an acknowledged message)`,
    );
  });
});

const STORM_LOSS = 0.1;
/** GBN resends a whole window per loss, and resent packets get lost too: measured up to c ≈ 2. */
const STORM_C = 3;

test(`retransmits in proportion to the losses: at most 200 × (1 + ${STORM_C} × loss × windowSize) data packets`, () => {
  const messages = 200;
  const bound = Math.round(messages * (1 + STORM_C * STORM_LOSS * WINDOW));
  checkScenario({ seeds: 20, ...TIMELINE }, (seed) => {
    const { l } = endToEnd(seed, { latency: () => 10, loss: STORM_LOSS }, `over a link that loses ${pct(STORM_LOSS)} of packets (every packet takes 10 ms)`, { messages });
    const lost = l.sim.trace.filter((e) => e.kind === 'drop').length;
    check(
      l.data.length <= bound,
      () => `over a link that loses ${pct(STORM_LOSS)} of packets (every packet takes 10 ms), the sender sent ${l.data.length} data packets for ${messages} messages ` +
        `(${l.retransmissions()} retransmissions, while the network lost ${lost} packets, data and acks); expected at most ` +
        `${messages} × (1 + ${STORM_C} × ${STORM_LOSS} × ${WINDOW}) = ${bound}: a loss may cost up to a window of retransmissions, not a stream of them`,
    );
  });
});

test('an idle sender keeps no timer running once every message is acknowledged', () => {
  const idle = 60_000;
  checkScenario({ seeds: 10, ...TIMELINE }, (seed) => {
    const { l, done } = endToEnd(seed, EVERYTHING, `over a link that loses ${pct(0.3)}, duplicates ${pct(0.3)} and reorders packets`, { messages: 20 });
    l.sim.runFor(idle);
    const timers = l.sim.trace.filter((e) => e.kind === 'timer' && e.t > done + EPS).length;
    const sent = l.data.filter((d) => d.t > done + EPS).length;
    check(
      timers <= 2 * WINDOW && sent === 0,
      () => `every message was acknowledged at ${fmt(done)}; in the ${idle / 1000} s that followed, with nothing left to send, ` +
        `timers fired ${timers} time(s) and the sender sent ${sent} data packet(s); expected no data packet and at most ${2 * WINDOW} timer firings: ` +
        `when nothing is in flight, stop (or cancel) the retransmission timers instead of checking forever`,
    );
  });
});
