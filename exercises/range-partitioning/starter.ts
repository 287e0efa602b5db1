/**
 * Range partitioning: a map of key ranges [start, end) that splits a range grown too big and
 * rebalances ranges over nodes with few moves; storage nodes that hand ranges off when the map
 * moves them; routers that follow the map and are redirected when theirs is stale.
 * See the statement: `npx learn-ds show range-partitioning`.
 */
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** The keys from `start` (included) up to `end` (excluded; null: no end), held by `owner`. */
export interface Range {
  start: string;
  end: string | null;
  owner: NodeId;
}

/** Ranges sorted by start, the first starting at '', each ending where the next starts, the last at null. */
export interface PartitionMap {
  epoch: number;
  ranges: Range[];
}

/** The range holding `key`: start <= key < end, in JavaScript's string order (UTF-16 code units, as `<`). */
export function findRange(ranges: readonly Range[], key: string): Range {
  throw new Error('TODO: write findRange');
}

/**
 * Splits `range` in two at its median key when it holds more than `maxKeys` keys (the key at index
 * floor(n / 2) of the keys sorted with `<` starts the right half); otherwise returns [range].
 */
export function splitRange(range: Range, keys: readonly string[], maxKeys: number): Range[] {
  throw new Error('TODO: write splitRange');
}

/** Gives every node floor or ceil of the mean number of ranges, moving as few ranges as possible. */
export function rebalance(ranges: readonly Range[], nodes: readonly NodeId[]): Range[] {
  throw new Error('TODO: write rebalance');
}

// ── the simulated cluster ─────────────────────────────────────────────────────────────────────

/** What a node holds of one range: its keys and the ids of the writes already applied to it. */
export interface Held {
  data: Record<string, string>;
  applied: string[];
}

export type Message =
  // coordinator → node
  | { type: 'map'; map: PartitionMap }
  // client → router, and the answers
  | { type: 'get'; msgId: number; key: string }
  | { type: 'put'; msgId: number; key: string; value: string }
  | { type: 'get-ok'; inReplyTo: number; value: string | null }
  | { type: 'put-ok'; inReplyTo: number }
  // router → node, and the answers
  | { type: 'read'; id: string; epoch: number; key: string }
  | { type: 'write'; id: string; epoch: number; key: string; value: string }
  | { type: 'read-ok'; id: string; value: string | null }
  | { type: 'write-ok'; id: string }
  | { type: 'redirect'; id: string; map: PartitionMap }
  | { type: 'busy'; id: string }
  // old owner → new owner, and back
  | ({ type: 'handoff'; epoch: number; start: string } & Held)
  | { type: 'handoff-ok'; epoch: number; start: string };

export interface NodeStatus {
  /** The epoch of the map this node follows. */
  epoch: number;
  /** The starts of the ranges this node holds and serves. */
  serving: string[];
}

export interface RangeNode extends SimNode<Message> {
  status(): NodeStatus;
}

/** A storage node: serves the ranges it holds, hands off those a new map moves away. */
export function createRangeNode(ctx: NodeContext<Message>, options: { map: PartitionMap }): RangeNode {
  throw new Error('TODO: write createRangeNode');
}

/** A router: forwards client gets and puts to the owner its map names, resends, follows redirects. */
export function createRouter(ctx: NodeContext<Message>, options: { map: PartitionMap }): SimNode<Message> {
  throw new Error('TODO: write createRouter');
}
