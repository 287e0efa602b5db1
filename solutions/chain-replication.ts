/**
 * Chain replication (van Renesse and Schneider): writes enter at the head and flow down the chain,
 * the tail applies them last, acknowledges them to the client and serves every read; a master
 * hands out numbered configurations, and after a crash each node repairs its own link.
 * Reference solution for learn-ds's chain-replication exercise.
 */
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

export function createChainNode(ctx: NodeContext<Message>): ChainNode {
  let epoch = 0;
  let chain: readonly NodeId[] = [];
  const data = new Map<string, string>();
  let seq = 0;
  /** Forwarded to the successor, not yet acknowledged by the tail; in seq order. */
  let sent: Update[] = [];
  /** False from a change of predecessor until its state arrives: a tail serves reads only when true. */
  let caughtUp = false;

  const at = () => chain.indexOf(ctx.id);
  const predecessor = (): NodeId | undefined => (at() > 0 ? chain[at() - 1] : undefined);
  const successor = (): NodeId | undefined => (at() >= 0 ? chain[at() + 1] : undefined);
  const isHead = () => at() === 0;
  const isTail = () => at() >= 0 && at() === chain.length - 1;

  const send = (to: NodeId, u: Update) => ctx.send(to, { type: 'update', epoch, ...u });

  /** The tail commits: the client hears of it, and everyone upstream may forget it. */
  function commit(u: Update): void {
    ctx.send(u.client, { type: 'put-ok', inReplyTo: u.msgId });
    const up = predecessor();
    if (up !== undefined) ctx.send(up, { type: 'ack', epoch, seq: u.seq });
  }

  function pass(u: Update): void {
    if (isTail()) return commit(u);
    if (sent.some((s) => s.seq === u.seq)) return;
    sent.push(u);
    sent.sort((a, b) => a.seq - b.seq);
    send(successor()!, u);
  }

  function reconfigure(next: number, nextChain: readonly NodeId[]): void {
    const before = { predecessor: predecessor(), successor: successor() };
    epoch = next;
    chain = [...nextChain];
    if (at() === -1) {
      sent = [];
      caughtUp = false;
      return;
    }
    if (isHead()) caughtUp = true;
    else if (predecessor() !== before.predecessor) caughtUp = false;
    const down = successor();
    if (down === undefined) {
      // The new tail: everything it forwarded is now on the tail (itself), so it is committed.
      const pending = sent;
      sent = [];
      for (const u of pending) commit(u);
    } else {
      // Every configuration: the successor gets this node's state if it is new to it, then
      // whatever it may not have acknowledged (duplicates are ignored by seq).
      if (down !== before.successor) ctx.send(down, { type: 'state', epoch, seq, data: Object.fromEntries(data) });
      for (const u of sent) send(down, u);
    }
  }

  return {
    receive(from, message) {
      switch (message.type) {
        case 'config':
          if (message.epoch > epoch) reconfigure(message.epoch, message.chain);
          return;
        case 'put': {
          if (!isHead()) {
            ctx.send(from, { type: 'error', inReplyTo: message.msgId, text: 'not the head' });
            return;
          }
          const u: Update = { seq: seq + 1, key: message.key, value: message.value, client: from, msgId: message.msgId };
          data.set(u.key, u.value);
          seq = u.seq;
          pass(u);
          return;
        }
        case 'get':
          if (!isTail() || !caughtUp) {
            ctx.send(from, { type: 'error', inReplyTo: message.msgId, text: isTail() ? 'catching up' : 'not the tail' });
            return;
          }
          ctx.send(from, { type: 'get-ok', inReplyTo: message.msgId, value: data.get(message.key) ?? null });
          return;
        case 'update': {
          if (message.epoch !== epoch || from !== predecessor()) return;
          const { type: _type, epoch: _epoch, ...u } = message;
          if (u.seq === seq + 1) {
            data.set(u.key, u.value);
            seq = u.seq;
          } else if (u.seq > seq) {
            return; // a gap: its state has not arrived yet; it will be sent again after it
          }
          pass(u);
          return;
        }
        case 'ack':
          if (message.epoch !== epoch || from !== successor()) return;
          sent = sent.filter((u) => u.seq > message.seq);
          if (predecessor() !== undefined) ctx.send(predecessor()!, { type: 'ack', epoch, seq: message.seq });
          return;
        case 'state':
          if (message.epoch !== epoch || from !== predecessor()) return;
          if (message.seq >= seq) {
            data.clear();
            for (const [k, v] of Object.entries(message.data)) data.set(k, v);
            seq = message.seq;
          }
          caughtUp = true;
          return;
        default:
          return;
      }
    },
    status: () => ({ epoch, seq, data: Object.fromEntries(data), pending: sent.length }),
  };
}
