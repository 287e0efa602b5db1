/** Helpers for tests and demos that stand between a node and its context. */
import type { NodeContext, NodeId } from './types.ts';

/**
 * The same context, except that `beforeSend` sees every message the node sends, as it sends it
 * (e.g. to record votes as they are granted, before the network decides their fate).
 */
export function watchSends<M>(ctx: NodeContext<M>, beforeSend: (to: NodeId, message: M) => void): NodeContext<M> {
  return {
    id: ctx.id,
    peers: ctx.peers,
    now: () => ctx.now(),
    send: (to, message) => {
      beforeSend(to, message);
      ctx.send(to, message);
    },
    setTimer: (delayMs, callback) => ctx.setTimer(delayMs, callback),
    cancelTimer: (timer) => ctx.cancelTimer(timer),
    random: () => ctx.random(),
    storage: ctx.storage,
    log: (text) => ctx.log(text),
  };
}
