import type { NodeContext, SimNode } from 'learn-ds/sim';

/** The three messages of the protocol. `term` is always the sender's current term. */
export type Message =
  | { type: 'request-vote'; term: number }
  | { type: 'vote'; term: number; granted: boolean }
  | { type: 'heartbeat'; term: number };

export type Role = 'follower' | 'candidate' | 'leader';

export interface ElectionOptions {
  /** Each election timeout is drawn uniformly from [min, max] ms, afresh every time the timer is reset. */
  electionTimeoutMs: [min: number, max: number];
  /** A leader sends heartbeats this often, ms. */
  heartbeatIntervalMs: number;
}

export interface RaftNode extends SimNode<Message> {
  /** What this node believes now: its role and its current term. */
  state(): { role: Role; term: number };
}

/**
 * Makes one Raft node (election only: no log). Called when the node starts, and again after every
 * crash, with the same `ctx.storage`: everything else is forgotten. Starts as a follower with its
 * election timer running.
 */
export function createRaftNode(ctx: NodeContext<Message>, options: ElectionOptions): RaftNode {
  throw new Error('TODO: read currentTerm and votedFor from ctx.storage, then start the election timer');
}
