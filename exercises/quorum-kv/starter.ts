import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** A version: a Lamport-style counter, ties broken by the id of the node that coordinated the write. */
export interface Version {
  counter: number;
  node: NodeId;
}

/** A value with its version, as a replica stores it. */
export interface Stored {
  value: string;
  version: Version;
}

export type Message =
  // client → coordinator, and its answers
  | { type: 'get'; msgId: number; key: string }
  | { type: 'put'; msgId: number; key: string; value: string }
  | { type: 'get-ok'; inReplyTo: number; value: string | null }
  | { type: 'put-ok'; inReplyTo: number }
  // coordinator → replica, and its answers
  | { type: 'read'; rid: string; key: string }
  | { type: 'read-ok'; rid: string; stored: Stored | null }
  | { type: 'write'; rid: string; key: string; stored: Stored }
  | { type: 'write-ok'; rid: string }
  // replica → replica: anti-entropy
  | { type: 'sync'; entries: Record<string, Stored> };

export interface QuorumOptions {
  /** Replicas (the coordinator included) whose answers a read phase waits for. */
  r: number;
  /** Replicas (the coordinator included) that must have stored a version before it counts as written. */
  w: number;
  /** Every this many ms, a replica sends its whole store to one peer. */
  antiEntropyIntervalMs: number;
}

export interface KvNode extends SimNode<Message> {
  /** This replica's own copy of every key it holds: no quorum, no messages. */
  local(): Record<string, Stored>;
}

/**
 * Negative if `a` is older than `b`, positive if newer, 0 if it is the same version: the higher
 * counter is newer; with equal counters, the greater node id (JavaScript's `<` on strings).
 */
export function compareVersions(a: Version, b: Version): number {
  throw new Error('TODO: compare the counters first, then the node ids');
}

/**
 * One node of the store: a replica of every key, and the coordinator of the gets and puts that
 * clients send it. Called when the node starts and again after every crash, with the same
 * `ctx.storage`: a replica's data lives there.
 */
export function createKvNode(ctx: NodeContext<Message>, options: QuorumOptions): KvNode {
  throw new Error('TODO: load the stored keys from ctx.storage, start the anti-entropy timer, and handle the nine messages');
}
