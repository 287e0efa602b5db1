// mistake: does not cancel the retransmission timer of an acknowledged message, which is then sent again
// expect: already acknowledged
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/**
 * What travels on the link. `seq` numbers messages from 0 in the order `send` was called; an ack
 * is cumulative: `ack: n` says "I have received (and delivered) every message with seq < n".
 */
export type Packet =
  | { type: 'data'; seq: number; payload: string }
  | { type: 'ack'; ack: number };

export interface SenderOptions {
  /** At most this many messages sent and not yet acknowledged. */
  windowSize: number;
  /** A message unacknowledged this long after it was last sent is sent again, ms. */
  retransmitTimeoutMs: number;
}

export interface Sender extends SimNode<Packet> {
  /** Queues a message for delivery to the receiver; returns at once. */
  send(payload: string): void;
  /** Messages sent but not yet acknowledged. */
  readonly inFlight: number;
}

/**
 * The sending end (selective repeat): every message in flight has its own retransmission timer,
 * started when it is sent and cancelled when an ack covers it; when one fires, that message alone
 * is sent again (and its timer restarted).
 */
export function createSender(ctx: NodeContext<Packet>, receiver: NodeId, options: SenderOptions): Sender {
  const { windowSize, retransmitTimeoutMs } = options;
  const payloads: string[] = []; // every message given to send(), by seq
  const timers = new Map<number, number>(); // seq in flight → its retransmission timer
  let acked = 0; // every seq < acked is acknowledged
  let next = 0; // the next seq to send for the first time

  function transmit(seq: number): void {
    ctx.send(receiver, { type: 'data', seq, payload: payloads[seq]! });
    timers.set(seq, ctx.setTimer(retransmitTimeoutMs, () => transmit(seq)));
  }

  function fillWindow(): void {
    while (next < payloads.length && next - acked < windowSize) transmit(next++);
  }

  return {
    send(payload) {
      payloads.push(payload);
      fillWindow();
    },
    get inFlight() {
      return next - acked;
    },
    receive(_from, packet) {
      if (packet.type !== 'ack') return;
      const upTo = Math.min(packet.ack, next); // an old or duplicated ack changes nothing
      for (; acked < upTo; acked++) {
        timers.delete(acked);
      }
      fillWindow();
    },
  };
}

/**
 * The receiving end: delivers every message once, in order, keeping the ones that arrive early
 * until the gap before them is filled; answers every data packet with the cumulative ack.
 */
export function createReceiver(ctx: NodeContext<Packet>, deliver: (payload: string) => void): SimNode<Packet> {
  let expected = 0; // every seq < expected has been delivered
  const early = new Map<number, string>();

  return {
    receive(from, packet) {
      if (packet.type !== 'data') return;
      if (packet.seq >= expected) early.set(packet.seq, packet.payload);
      for (let payload = early.get(expected); payload !== undefined; payload = early.get(expected)) {
        early.delete(expected);
        expected++;
        deliver(payload);
      }
      ctx.send(from, { type: 'ack', ack: expected });
    },
  };
}
