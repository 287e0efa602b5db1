/**
 * A Dynamo-style replicated key-value store: every node is a replica of every key and can
 * coordinate a client's get or put. Writes go to W replicas, reads ask R; with R + W > N the two
 * always share a replica, and with versions, a query before each write and a write-back before each
 * read answers (ABD), every get and put is linearizable. Anti-entropy makes replicas converge.
 * Reference solution for learn-ds's quorum-kv exercise.
 */
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

/** Negative if `a` is older than `b`, positive if newer, 0 if the same version. */
export function compareVersions(a: Version, b: Version): number {
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

const PREFIX = 'kv:';

interface Operation {
  client: NodeId;
  msgId: number;
  kind: 'get' | 'put';
  key: string;
  /** The value a put writes. */
  value: string;
  phase: 'query' | 'store';
  /** Replicas that answered the current phase (a Set: the network duplicates answers). */
  answered: Set<NodeId>;
  /** The newest version seen by the query phase; then the version being stored. */
  newest: Stored | null;
}

export function createKvNode(ctx: NodeContext<Message>, options: QuorumOptions): KvNode {
  const { r, w } = options;
  const store = new Map<string, Stored>();
  for (const k of ctx.storage.keys()) {
    if (k.startsWith(PREFIX)) store.set(k.slice(PREFIX.length), ctx.storage.get<Stored>(k)!);
  }
  const operations = new Map<string, Operation>(); // rid of the current phase → operation
  let nextRid = 0;
  // Random as well as counted: a restarted node counts from 0 again, and a late answer to a request
  // of its previous life must not count for a new one.
  const boot = Math.floor(ctx.random() * 2 ** 40).toString(36);
  let turn = 0;

  /** Keeps `stored` if it is newer than what this replica holds, in durable storage first. */
  function apply(key: string, stored: Stored): void {
    const mine = store.get(key);
    if (mine !== undefined && compareVersions(stored.version, mine.version) <= 0) return;
    ctx.storage.set(PREFIX + key, stored);
    store.set(key, stored);
  }

  function newer(a: Stored | null, b: Stored | null): Stored | null {
    if (a === null) return b;
    if (b === null) return a;
    return compareVersions(b.version, a.version) > 0 ? b : a;
  }

  /** Starts a phase: this node answers at once, every peer gets the request. */
  function startPhase(op: Operation, phase: Operation['phase']): void {
    const rid = `${ctx.id}/${boot}/${nextRid++}`;
    op.phase = phase;
    op.answered = new Set([ctx.id]);
    operations.set(rid, op);
    if (phase === 'query') {
      op.newest = store.get(op.key) ?? null;
      for (const peer of ctx.peers) ctx.send(peer, { type: 'read', rid, key: op.key });
    } else {
      apply(op.key, op.newest!);
      for (const peer of ctx.peers) ctx.send(peer, { type: 'write', rid, key: op.key, stored: op.newest! });
    }
    progress(rid, op);
  }

  function progress(rid: string, op: Operation): void {
    if (op.phase === 'query') {
      if (op.answered.size < r) return;
      operations.delete(rid);
      if (op.kind === 'put') {
        // Its own copy too, as it is now: a put of the same key that this node coordinated meanwhile
        // must not get the same version.
        const mine = store.get(op.key)?.version.counter ?? 0;
        const counter = Math.max(op.newest?.version.counter ?? 0, mine) + 1;
        op.newest = { value: op.value, version: { counter, node: ctx.id } };
        startPhase(op, 'store');
      } else if (op.newest === null) {
        ctx.send(op.client, { type: 'get-ok', inReplyTo: op.msgId, value: null });
      } else {
        startPhase(op, 'store'); // the write-back: W replicas hold it before anyone is told
      }
      return;
    }
    if (op.answered.size < w) return;
    operations.delete(rid);
    if (op.kind === 'put') ctx.send(op.client, { type: 'put-ok', inReplyTo: op.msgId });
    else ctx.send(op.client, { type: 'get-ok', inReplyTo: op.msgId, value: op.newest!.value });
  }

  function antiEntropy(): void {
    const peer = ctx.peers[turn++ % ctx.peers.length];
    if (peer !== undefined && store.size > 0) ctx.send(peer, { type: 'sync', entries: Object.fromEntries(store) });
    ctx.setTimer(options.antiEntropyIntervalMs, antiEntropy);
  }
  ctx.setTimer(options.antiEntropyIntervalMs, antiEntropy);

  return {
    receive(from, message) {
      switch (message.type) {
        case 'get':
        case 'put':
          startPhase({
            client: from, msgId: message.msgId, kind: message.type, key: message.key,
            value: message.type === 'put' ? message.value : '', phase: 'query', answered: new Set(), newest: null,
          }, 'query');
          break;
        case 'read':
          ctx.send(from, { type: 'read-ok', rid: message.rid, stored: store.get(message.key) ?? null });
          break;
        case 'write':
          apply(message.key, message.stored);
          ctx.send(from, { type: 'write-ok', rid: message.rid });
          break;
        case 'read-ok': {
          const op = operations.get(message.rid);
          if (op?.phase !== 'query') return;
          op.answered.add(from);
          op.newest = newer(op.newest, message.stored);
          progress(message.rid, op);
          break;
        }
        case 'write-ok': {
          const op = operations.get(message.rid);
          if (op?.phase !== 'store') return;
          op.answered.add(from);
          progress(message.rid, op);
          break;
        }
        case 'sync':
          for (const [key, stored] of Object.entries(message.entries)) apply(key, stored);
          break;
      }
    },
    local: () => Object.fromEntries(store),
  };
}
