// mistake: arms one timeout per peer at start and never again: a peer heard from once is trusted forever
// expect: heard nothing
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** Heartbeats between detectors; 'data' is the application's own traffic, which also arrives here. */
export type Message = { type: 'heartbeat' } | { type: 'data'; body: string };

export interface DetectorOptions {
  /** How often to send a heartbeat to every peer, in ms of this node's clock. */
  heartbeatIntervalMs: number;
  /** A peer silent for longer than this (ms of this node's clock) is suspected. */
  timeoutMs: number;
}

export interface FailureDetector extends SimNode<Message> {
  /** Called for every message this node receives, heartbeat or not. */
  receive(from: NodeId, message: Message): void;
  /** The peers this node suspects right now, in any order, each once; never this node itself. */
  suspects(): NodeId[];
}

/**
 * Starts the failure detector of one node (called again, from scratch, when a crashed node restarts).
 * It sends `{ type: 'heartbeat' }` to every peer in `ctx.peers` every `heartbeatIntervalMs` (the
 * first within one interval of the start), remembers the `ctx.now()` at which the last message of
 * any type arrived from each peer (the start time before the first one), and suspects the peers
 * whose last message is more than `timeoutMs` old. Time comes only from `ctx.now()` and `ctx.setTimer`.
 */
export function createFailureDetector(ctx: NodeContext<Message>, options: DetectorOptions): FailureDetector {
  const { heartbeatIntervalMs, timeoutMs } = options;
  const heard = new Set<NodeId>();
  const suspected = new Set<NodeId>();
  ctx.setTimer(timeoutMs, () => {
    for (const peer of ctx.peers) if (!heard.has(peer)) suspected.add(peer);
  });
  const beat = (): void => {
    for (const peer of ctx.peers) ctx.send(peer, { type: 'heartbeat' });
    ctx.setTimer(heartbeatIntervalMs, beat);
  };
  beat();

  return {
    receive(from) {
      heard.add(from);
      suspected.delete(from);
    },
    suspects() {
      return [...suspected];
    },
  };
}
