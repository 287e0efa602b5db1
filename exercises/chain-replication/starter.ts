import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** A write on its way down the chain. `seq` numbers writes in the order the head accepted them. */
export interface Update {
  seq: number;
  key: string;
  value: string;
  /** Who asked for it, to answer when it is committed. */
  client: NodeId;
  msgId: number;
}

export type Message =
  // master → every node
  | { type: 'config'; epoch: number; chain: NodeId[] }
  // clients, and the answers they get
  | { type: 'put'; msgId: number; key: string; value: string }
  | { type: 'get'; msgId: number; key: string }
  | { type: 'put-ok'; inReplyTo: number }
  | { type: 'get-ok'; inReplyTo: number; value: string | null }
  | { type: 'error'; inReplyTo: number; text: string }
  // along the chain
  | ({ type: 'update'; epoch: number } & Update)
  | { type: 'ack'; epoch: number; seq: number }
  | { type: 'state'; epoch: number; seq: number; data: Record<string, string> };

export interface Status {
  /** The epoch of the configuration this node follows (0 before the first). */
  epoch: number;
  /** The seq of the last update applied (0 before any). */
  seq: number;
  /** What this node has applied. */
  data: Record<string, string>;
  /** Updates forwarded to the successor and not yet acknowledged. */
  pending: number;
}

export interface ChainNode extends SimNode<Message> {
  status(): Status;
}

/**
 * One node of the chain. Called when the node starts, and again after a crash: it then starts
 * empty (chain replication keeps its data in memory; a crashed node rejoins as a new one).
 */
export function createChainNode(ctx: NodeContext<Message>): ChainNode {
  throw new Error('TODO: keep epoch, chain, data, seq and the updates sent on; handle config, put, get, update, ack and state');
}
