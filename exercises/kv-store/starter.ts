import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

// ── Step 1: bring in your earlier pieces ──────────────────────────────────────────────────────
// kv-store builds on two exercises you did before: consistent-hashing and quorum-kv. Delete
// everything between the two lines of ═ below and write instead:
//
//   import { HashRing } from '../16-partitioning/consistent-hashing.ts';
//   import { createKvNode, type KvNode, type Message as ReplicaMessage, type QuorumOptions, type Stored } from '../11-coordination-avoidance/quorum-kv.ts';
//   export { HashRing, createKvNode };
//
// (Not done them yet? `learn-ds start consistent-hashing`, then `learn-ds start quorum-kv`.)
// ═══════════════════════════════════════════════════════════════════════════════════════════
/** Stand-in for your consistent-hashing HashRing: replace it with the import above. */
export class HashRing {
  constructor(options?: { virtualNodes?: number }) {
    void options;
    throw new Error("TODO: import HashRing from '../16-partitioning/consistent-hashing.ts' (see Step 1 at the top of kv-store.ts)");
  }
  add(node: string): void {
    void node;
  }
  remove(node: string): void {
    void node;
  }
  get(key: string): string | undefined {
    return key;
  }
}
/** quorum-kv's types, as your quorum-kv.ts exports them. */
interface Stored { value: string; version: { counter: number; node: NodeId } }
interface QuorumOptions { r: number; w: number; antiEntropyIntervalMs: number }
type ReplicaMessage =
  | { type: 'get'; msgId: number; key: string }
  | { type: 'put'; msgId: number; key: string; value: string }
  | { type: 'get-ok'; inReplyTo: number; value: string | null }
  | { type: 'put-ok'; inReplyTo: number }
  | { type: 'read'; rid: string; key: string }
  | { type: 'read-ok'; rid: string; stored: Stored | null }
  | { type: 'write'; rid: string; key: string; stored: Stored }
  | { type: 'write-ok'; rid: string }
  | { type: 'sync'; entries: Record<string, Stored> };
interface KvNode extends SimNode<ReplicaMessage> { local(): Record<string, Stored> }
/** Stand-in for your quorum-kv createKvNode: replace it with the import above. */
export function createKvNode(ctx: NodeContext<ReplicaMessage>, options: QuorumOptions): KvNode {
  void ctx;
  void options;
  throw new Error("TODO: import createKvNode from '../11-coordination-avoidance/quorum-kv.ts' (see Step 1 at the top of kv-store.ts)");
}
// ═══════════════════════════════════════════════════════════════════════════════════════════

export type GroupId = string;

/** A client's request, as a client sends it to any node. */
export type Request =
  | { type: 'get'; msgId: number; key: string }
  | { type: 'put'; msgId: number; key: string; value: string };

export type Message =
  | Request
  | { type: 'get-ok'; inReplyTo: number; value: string | null }
  | { type: 'put-ok'; inReplyTo: number }
  // a node outside the key's group → one member of it: the client's request, handed on once
  | { type: 'forward'; client: NodeId; request: Request }
  // a member of a group → another member of it: a message between that group's replicas
  | { type: 'replica'; group: GroupId; message: ReplicaMessage };

export interface StoreOptions {
  /** Every replica group and its members; every node of the cluster is in at least one. */
  groups: Record<GroupId, NodeId[]>;
  /** R, W and the anti-entropy interval of every group's quorum store. */
  quorum: QuorumOptions;
}

export interface KvStoreNode extends SimNode<Message> {
  /** For each group this node is a member of, its replica's local() copy. */
  replicas(): Record<GroupId, Record<string, Stored>>;
}

// ── Step 2: the store ─────────────────────────────────────────────────────────────────────────
/**
 * One node of the store: a replica (your createKvNode, with a context of its own) for each group
 * it is a member of, and a router that sends each client request to the key's group,
 * `ring.get(key)` on a HashRing holding every group id.
 */
export function createKvStoreNode(ctx: NodeContext<Message>, options: StoreOptions): KvStoreNode {
  void ctx;
  void options;
  throw new Error('TODO: write createKvStoreNode');
}
