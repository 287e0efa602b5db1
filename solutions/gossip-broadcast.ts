import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** What clients send, and what a node answers (`inReplyTo` is the request's `msgId`). */
export type ClientRequest = { type: 'broadcast'; msgId: number; value: number };
export type ClientReply = { type: 'broadcast_ok'; inReplyTo: number };

/**
 * What nodes send each other (yours to design; keep a `type`): here, a batch of values the
 * receiver is not known to have, and the values of the sender's batches that this node received
 * (acknowledgements ride along with the next batch).
 */
export interface Gossip {
  type: 'gossip';
  values: number[];
  acks: number[];
}

export type Message = ClientRequest | ClientReply | Gossip;

export interface BroadcastOptions {
  /** Call once per value, when this node first has it (from a client or from another node). */
  deliver(value: number): void;
}

/** How often a node sends its batches, ms: one message per neighbour per tick at most. */
const TICK_MS = 300;

/**
 * The overlay: the nodes laid out on a square grid, each linked to every node of its row and of its
 * column. Any two nodes are at most two hops apart, by two disjoint paths when they share neither
 * row nor column, so one node cut off never cuts the others apart.
 */
export function gridNeighbours(self: NodeId, all: readonly NodeId[]): NodeId[] {
  const nodes = [...all].sort();
  const side = Math.ceil(Math.sqrt(nodes.length));
  const i = nodes.indexOf(self);
  const [row, col] = [Math.floor(i / side), i % side];
  return nodes.filter((n, j) => n !== self && (Math.floor(j / side) === row || j % side === col));
}

/**
 * A node of the broadcast: values spread along the grid in batches, one message per neighbour every
 * TICK_MS at most. A value stays in a neighbour's batches until that neighbour acknowledges it (or
 * sends it to us), so what a partition or a loss stopped goes again on the next tick.
 */
export function createBroadcastNode(ctx: NodeContext<Message>, options: BroadcastOptions): SimNode<Message> {
  const neighbours = gridNeighbours(ctx.id, [ctx.id, ...ctx.peers]);
  const values = new Set<number>();
  /** Per neighbour: the values it is known to have (it sent them to us, or acknowledged them). */
  const known = new Map<NodeId, Set<number>>(neighbours.map((n) => [n, new Set()]));
  /** Per node: the values it sent us that we have not acknowledged yet. */
  const toAck = new Map<NodeId, Set<number>>();

  const learn = (value: number) => {
    if (values.has(value)) return;
    values.add(value);
    options.deliver(value);
  };

  const tick = () => {
    for (const n of neighbours) {
      const has = known.get(n)!;
      const batch = [...values].filter((v) => !has.has(v));
      const acks = [...(toAck.get(n) ?? [])];
      toAck.delete(n);
      if (batch.length > 0 || acks.length > 0) ctx.send(n, { type: 'gossip', values: batch, acks });
    }
    ctx.setTimer(TICK_MS, tick);
  };
  ctx.setTimer(TICK_MS * ctx.random(), tick);

  return {
    receive(from, message) {
      switch (message.type) {
        case 'broadcast':
          learn(message.value);
          ctx.send(from, { type: 'broadcast_ok', inReplyTo: message.msgId });
          return;
        case 'gossip': {
          const has = known.get(from);
          const ack = toAck.get(from) ?? new Set<number>();
          for (const v of message.values) {
            learn(v);
            has?.add(v);
            ack.add(v);
          }
          if (message.values.length > 0) toAck.set(from, ack);
          for (const v of message.acks) has?.add(v);
          return;
        }
        default:
          return;
      }
    },
  };
}
