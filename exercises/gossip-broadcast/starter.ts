import type { NodeContext, SimNode } from 'learn-ds/sim';

/** What clients send, and what a node answers (`inReplyTo` is the request's `msgId`). */
export type ClientRequest = { type: 'broadcast'; msgId: number; value: number };
export type ClientReply = { type: 'broadcast_ok'; inReplyTo: number };

/**
 * What nodes send each other: yours to design (keep a `type`, and only plain data). A start: a
 * batch of values the receiver may not have yet.
 */
export interface Gossip {
  type: 'gossip';
  values: number[];
}

export type Message = ClientRequest | ClientReply | Gossip;

export interface BroadcastOptions {
  /** Call once per value, when this node first has it (from a client or from another node). */
  deliver(value: number): void;
}

/**
 * One node of the broadcast (`ctx.peers` are the others). It answers a client's broadcast at once,
 * delivers each value once, and makes sure every value reaches every node, despite lost messages
 * and partitions, in few messages: batch, and send to a few neighbours rather than to everyone.
 */
export function createBroadcastNode(ctx: NodeContext<Message>, options: BroadcastOptions): SimNode<Message> {
  throw new Error('TODO: keep the values you have, answer broadcasts, and gossip new values to your neighbours on a timer');
}
