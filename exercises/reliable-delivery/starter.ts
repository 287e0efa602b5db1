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
 * The sending end of the link, on node `ctx.id`, talking to `receiver`. Sends each message as a
 * data packet as soon as the window has room, keeps at most `windowSize` messages in flight, and
 * sends a message again when `retransmitTimeoutMs` pass without an ack covering it.
 */
export function createSender(ctx: NodeContext<Packet>, receiver: NodeId, options: SenderOptions): Sender {
  throw new Error('TODO: keep the queued payloads, the oldest unacknowledged seq and the next seq to send');
}

/**
 * The receiving end: calls `deliver(payload)` once per message, in seq order, and answers every
 * data packet it receives (duplicates too) with `{ type: 'ack', ack }`, where `ack` is the number
 * of messages delivered so far.
 */
export function createReceiver(ctx: NodeContext<Packet>, deliver: (payload: string) => void): SimNode<Packet> {
  throw new Error('TODO: deliver the next expected seq, keep or drop the early ones, and ack every data packet');
}
