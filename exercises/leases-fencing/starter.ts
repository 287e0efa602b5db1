import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

export type Message =
  // holder → lock service
  | { type: 'acquire'; request: number }
  | { type: 'renew'; request: number; token: number }
  // lock service → holder: the answer to an acquire or a renew
  | { type: 'granted'; request: number; token: number }
  | { type: 'busy'; request: number }
  // a client → holder
  | { type: 'submit'; key: string; value: unknown }
  // holder → storage, and its answers
  | { type: 'write'; token: number; key: string; value: unknown }
  | { type: 'write-ok'; token: number; key: string }
  | { type: 'write-rejected'; token: number; key: string; highest: number };

export interface LockServiceOptions {
  /** How long a lease lasts, ms of the lock service's clock, from the moment it grants or renews it. */
  leaseMs: number;
}

export interface HolderOptions {
  lockService: NodeId;
  storage: NodeId;
  /** The lease's length, as the lock service counts it. */
  leaseMs: number;
  /** Stop this long before the lease could end: covers the drift between the two clocks. */
  marginMs: number;
  /** While holding no lease, ask again this often; while holding one, check this often whether to renew. */
  retryMs: number;
}

export interface StorageNode extends SimNode<Message> {
  /** The value last accepted for `key` (undefined if none). */
  read(key: string): unknown;
}

/**
 * The lock service (one node). Called when it starts and again after every crash, with the same
 * `ctx.storage`. Grants a lease to one holder at a time, with a fencing token higher than every
 * token granted before; renews only the lease in force, for its holder and token.
 */
export function createLockService(ctx: NodeContext<Message>, options: LockServiceOptions): SimNode<Message> {
  throw new Error('TODO: read the last token from ctx.storage, then answer acquire and renew');
}

/**
 * A holder (one node per holder). Asks for a lease, renews it, and writes the values clients submit
 * to the storage with its token, only while its lease is surely valid on its own clock.
 */
export function createHolder(ctx: NodeContext<Message>, options: HolderOptions): SimNode<Message> {
  throw new Error('TODO: ask the lock service for a lease, and write submits while it is valid');
}

/**
 * The storage service (one node). Accepts a write whose token is at least the highest token it has
 * seen, rejects a lower one; keeps its data and that highest token in ctx.storage.
 */
export function createStorage(ctx: NodeContext<Message>): StorageNode {
  throw new Error('TODO: compare the token with the highest seen, then store or reject');
}
