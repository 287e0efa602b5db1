// `learn-ds run reliable-delivery`: your sender and receiver over a lossy link, packet by packet,
// then a longer stream: how full the window stays, and when retransmissions happen.
import { bucket, costLine, demo, formatMs, labelled, sparkline, timeAxis } from 'learn-ds/harness';
import { Simulation, renderTimeline, uniformLatency, type NetworkOptions, type NodeContext, type SimNode } from 'learn-ds/sim';
import type { Packet, Sender, SenderOptions } from 'learn-ds/subject/reliable-delivery';
import { createReceiver, createSender } from 'learn-ds/subject/reliable-delivery';

interface Run {
  sim: Simulation<Packet, SimNode<Packet>>;
  sender: Sender;
  delivered: string[];
  /** When each data packet was sent again. */
  resent: number[];
  /** How many of those went again although a copy had already reached the receiver. */
  resentArrived: number;
  /** How many were due: unacknowledged retransmitTimeoutMs or more after the packet's last send. */
  resentDue: number;
  /** How many went again after an ack had covered them. */
  resentCovered: number;
  /** Copies that arrived ahead of a gap and that the receiver did not keep (each cost one more send). */
  thrownAway: number;
  dataSent: number;
}

/** Your two ends on a link; deliveries and retransmissions are noted on their lanes. */
function link(seed: number, network: Partial<NetworkOptions>, options: SenderOptions, notes: boolean): Run {
  const run: Partial<Run> & { delivered: string[]; resent: number[]; resentArrived: number; resentDue: number; resentCovered: number; thrownAway: number; dataSent: number } = {
    delivered: [], resent: [], resentArrived: 0, resentDue: 0, resentCovered: 0, thrownAway: 0, dataSent: 0,
  };
  // Seqs of data packets that have reached the receiver, read from the trace as it grows.
  const arrived = new Set<number>();
  let traced = 0;
  let acked = 0; // the highest cumulative ack that has reached the sender
  const lastSent = new Map<number, number>();
  const sentBefore = new Set<number>();
  const sim: Simulation<Packet, SimNode<Packet>> = new Simulation<Packet, SimNode<Packet>>({
    seed,
    nodes: ['sender', 'receiver'],
    network: { latency: uniformLatency(5, 15), ...network },
    factory: (ctx) => {
      if (ctx.id === 'receiver') {
        const node = createReceiver(ctx, (payload) => {
          run.delivered.push(payload);
          if (notes) sim.note('receiver', `deliver(${JSON.stringify(payload)})`);
        });
        // Early copies the receiver threw away: a seq that arrived ahead of the next one to deliver
        // and was delivered only later, on another arrival of its own.
        const early = new Map<number, number>();
        return {
          receive(from, packet) {
            const before = run.delivered.length;
            node.receive(from, packet);
            if (packet.type !== 'data') return;
            const delivered = run.delivered.length > packet.seq;
            if (!delivered && packet.seq > before) early.set(packet.seq, (early.get(packet.seq) ?? 0) + 1);
            if (delivered && run.delivered.length > before && before <= packet.seq) {
              run.thrownAway += early.get(packet.seq) ?? 0;
              early.delete(packet.seq);
            }
          },
        };
      }
      const watched: NodeContext<Packet> = {
        id: ctx.id,
        peers: ctx.peers,
        now: () => ctx.now(),
        send: (to, packet) => {
          if (packet.type === 'data') {
            run.dataSent++;
            if (sentBefore.has(packet.seq)) {
              run.resent.push(sim.now);
              for (; traced < sim.trace.length; traced++) {
                const e = sim.trace[traced]!;
                if (e.kind === 'deliver' && e.to === 'receiver') arrived.add((e.message as { seq: number }).seq);
                if (e.kind === 'deliver' && e.to === 'sender') acked = Math.max(acked, (e.message as { ack: number }).ack);
              }
              if (arrived.has(packet.seq)) run.resentArrived++;
              if (packet.seq < acked) run.resentCovered++;
              else if (sim.now - lastSent.get(packet.seq)! >= options.retransmitTimeoutMs) run.resentDue++;
              if (notes) sim.note('sender', `sends seq=${packet.seq} again`);
            }
            sentBefore.add(packet.seq);
            lastSent.set(packet.seq, sim.now);
          }
          ctx.send(to, packet);
        },
        setTimer: (delayMs, callback) => ctx.setTimer(delayMs, callback),
        cancelTimer: (timer) => ctx.cancelTimer(timer),
        random: () => ctx.random(),
        storage: ctx.storage,
        log: (text) => ctx.log(text),
      };
      return (run.sender = createSender(watched, 'receiver', options));
    },
  });
  sim.node('sender'); // starts both nodes
  return Object.assign(run, { sim, sender: run.sender! });
}

demo('the first packets over a link that loses 30 % of them', () => {
  const options = { windowSize: 3, retransmitTimeoutMs: 100 };
  const messages = 6;
  const r = link(1, { loss: 0.3 }, options, true);
  for (let i = 0; i < messages; i++) r.sender.send(`m${i}`);
  const done = r.sim.runUntilTrue(() => r.delivered.length >= messages && r.sender.inFlight === 0, 10_000);
  return [
    `createSender(ctx, 'receiver', { windowSize: 3, retransmitTimeoutMs: 100 }); send('m0') … send('m5') at 0 ms;`,
    'each packet takes 5 to 15 ms, and 30 % of them (data and acks) are lost. A row is a packet arriving',
    '(▶ ◀, with the time it was sent) or lost (✗, when it was sent), or a note (•) on a lane:',
    '',
    renderTimeline(r.sim.trace, { lanes: ['sender', 'receiver'], rows: 60 }),
    '',
    done === undefined
      ? `After 10 s, ${r.delivered.length} of ${messages} messages were delivered and sender.inFlight is ${r.sender.inFlight}.`
      : `All ${messages} delivered, in order, and acknowledged at ${done.toFixed(1)} ms, with ${r.resent.length} retransmission(s).`,
  ].join('\n');
});

/** Why retransmissions beyond those due happened, from the counts. */
function early(r: Run, timeoutMs: number): string {
  const soon = r.resent.length - r.resentDue - r.resentCovered;
  const parts = [
    r.thrownAway > 0 ? `the receiver threw away ${r.thrownAway} packets that arrived ahead of a gap, and each had to come again` : '',
    soon > 0 ? `${soon} of them went again less than ${timeoutMs} ms after their last send (as when a whole window is resent because the oldest timer fired)` : '',
    r.resentCovered > 0 ? `${r.resentCovered} after an ack had covered them` : '',
  ];
  return parts.filter(Boolean).join(', and ');
}

demo('200 messages at 10 % loss: the window, the wire and the retransmissions', () => {
  const options = { windowSize: 8, retransmitTimeoutMs: 100 };
  const messages = 200;
  const r = link(5, { loss: 0.1 }, options, false);
  for (let i = 0; i < messages; i++) r.sender.send(`m${i}`);
  const step = 5;
  const inFlight: number[] = [];
  const deliveredAt: number[] = [];
  while (r.sim.now < 30_000 && !(r.delivered.length >= messages && r.sender.inFlight === 0)) {
    const before = r.delivered.length;
    r.sim.runFor(step);
    inFlight.push(r.sender.inFlight);
    for (let i = before; i < r.delivered.length; i++) deliveredAt.push(r.sim.now);
  }
  const span = inFlight.length * step;
  const width = Math.min(64, inFlight.length);
  // Data packets travelling at each sample: sent, and not yet arrived (lost ones vanish at once).
  const onWire = inFlight.map((_, i) => {
    const t = i * step + step / 2;
    return r.sim.trace.filter((e) => e.kind === 'deliver' && e.to === 'receiver' && e.sentAt <= t && e.t > t).length;
  });
  /** The largest sample in each of `width` columns. */
  const columns = (samples: readonly number[]) => Array.from({ length: width }, (_, c) => {
    const from = Math.floor((c * samples.length) / width);
    const to = Math.max(from + 1, Math.floor(((c + 1) * samples.length) / width));
    return Math.max(...samples.slice(from, to));
  });
  const lost = r.sim.trace.filter((e) => e.kind === 'drop').length;
  const lostData = r.sim.trace.filter((e) => e.kind === 'drop' && e.to === 'receiver').length;
  return [
    'windowSize: 8, retransmitTimeoutMs: 100; 200 messages sent at 0 ms; each packet takes 5 to 15 ms; 10 % are lost.',
    '',
    labelled([
      ['sender.inFlight', sparkline(columns(inFlight), options.windowSize)],
      ['data on the wire', sparkline(columns(onWire), options.windowSize)],
      ['delivered', sparkline(bucket(deliveredAt, span, width))],
      ['sent again', sparkline(bucket(r.resent, span, width))],
      ['', timeAxis(span, width)],
    ]),
    '',
    `${r.delivered.length} of ${messages} delivered in ${formatMs(span)}; ${r.dataSent} data packets sent (${r.resent.length} of them again) ` +
      `while the network lost ${lost} packets, data and acks.`,
    costLine({
      what: `retransmissions for ${messages} messages at 10 % loss`,
      measured: r.resent.length,
      ideal: Math.max(r.resentDue - r.thrownAway, lostData),
      why: 'each lost data packet once, and each packet held up behind one, which a cumulative ack cannot cover',
      cause: early(r, options.retransmitTimeoutMs),
    }),
    `The network lost ${lostData} data packets; ${r.resentArrived} retransmissions carried a packet that had already reached the receiver` +
      (r.thrownAway === 0 && r.resentArrived > 0 ? ':\na cumulative ack cannot tell the sender that packets behind a lost one arrived, so their timers fire too.' : '.'),
    'A bar at full height on the first line is a full window (8 messages in flight). After a loss, the wire',
    'goes quiet and deliveries stop: the receiver waits for the lost message and the full window lets the',
    "sender send nothing new, until the lost message's timer fires and it goes again; then what was held",
    'back is delivered at once.',
  ].join('\n');
});
