/**
 * A partitioned, replicated key-value store built from two earlier pieces: a consistent-hashing
 * ring (consistent-hashing) places each key in one replica group, and each group is a Dynamo-style
 * quorum store (quorum-kv) whose replicas run on the group's members. A node hosts one replica per
 * group it belongs to, each with a context of its own (its group's peers, its share of the storage,
 * its messages wrapped with the group's id), and routes a client's request to the key's group.
 * Reference solution for learn-ds's kv-store exercise. In a learner's workspace the two imports
 * below read `../16-partitioning/consistent-hashing.ts` and `../11-coordination-avoidance/quorum-kv.ts`.
 */
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';
import { HashRing } from './consistent-hashing.ts';
import { createKvNode, type KvNode, type Message as ReplicaMessage, type QuorumOptions, type Stored } from './quorum-kv.ts';

export { HashRing, createKvNode };
export type { QuorumOptions, ReplicaMessage, Stored };

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

/** The context a replica of `group` sees: the group's other members, its own part of the storage. */
function replicaContext(ctx: NodeContext<Message>, group: GroupId, members: readonly NodeId[]): NodeContext<ReplicaMessage> {
  const prefix = `${group}/`;
  const peers = members.filter((m) => m !== ctx.id);
  return {
    id: ctx.id,
    peers,
    now: () => ctx.now(),
    send(to, message) {
      // Answers to a client go to the client as they are; everything else stays within the group.
      if (message.type === 'get-ok' || message.type === 'put-ok') ctx.send(to, message);
      else ctx.send(to, { type: 'replica', group, message });
    },
    setTimer: (delayMs, callback) => ctx.setTimer(delayMs, callback),
    cancelTimer: (timer) => ctx.cancelTimer(timer),
    random: () => ctx.random(),
    storage: {
      get: <T>(key: string) => ctx.storage.get<T>(prefix + key),
      set: (key, value) => ctx.storage.set(prefix + key, value),
      delete: (key) => ctx.storage.delete(prefix + key),
      keys: () => ctx.storage.keys().filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
    },
    log: (text) => ctx.log(`${group}: ${text}`),
  };
}

export function createKvStoreNode(ctx: NodeContext<Message>, options: StoreOptions): KvStoreNode {
  // Every group on the ring, whatever this node's own: every node must route a key the same way.
  const ring = new HashRing();
  for (const group of Object.keys(options.groups)) ring.add(group);

  const replicas = new Map<GroupId, KvNode>();
  for (const [group, members] of Object.entries(options.groups)) {
    if (members.includes(ctx.id)) replicas.set(group, createKvNode(replicaContext(ctx, group, members), { ...options.quorum }));
  }

  /** Serves a client's request here if this node is in the key's group, or hands it to one member. */
  function route(client: NodeId, request: Request): void {
    const group = ring.get(request.key)!;
    const replica = replicas.get(group);
    if (replica) {
      replica.receive(client, request); // the replica answers the client itself
      return;
    }
    // Once, to one member: sending it again elsewhere could apply a put twice, after a later put.
    const members = options.groups[group]!;
    const member = members[Math.floor(ctx.random() * members.length)]!;
    ctx.send(member, { type: 'forward', client, request });
  }

  return {
    receive(from, message) {
      switch (message.type) {
        case 'get':
        case 'put':
          route(from, message);
          break;
        case 'forward':
          route(message.client, message.request);
          break;
        case 'replica':
          replicas.get(message.group)?.receive(from, message.message);
          break;
      }
    },
    replicas: () => Object.fromEntries([...replicas].map(([group, replica]) => [group, replica.local()])),
  };
}
