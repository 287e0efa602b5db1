import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

export type Message =
  // client → coordinator, and its answer
  | { type: 'submit'; txId: string; writes: Record<NodeId, Record<string, string>> }
  | { type: 'outcome'; txId: string; commit: boolean }
  // phase one: coordinator → participant, and the vote
  | { type: 'prepare'; txId: string; writes: Record<string, string>; participants: NodeId[] }
  | { type: 'vote'; txId: string; yes: boolean }
  // phase two: to a participant (from the coordinator, or in answer to its query)
  | { type: 'decision'; txId: string; commit: boolean }
  // a participant in doubt → the coordinator (or another participant of the transaction)
  | { type: 'query'; txId: string };

export interface CoordinatorOptions {
  /** A transaction whose votes are not all in this long after its submit arrived is aborted. */
  voteTimeoutMs: number;
}

export interface ParticipantOptions {
  coordinator: NodeId;
  /** A participant in doubt asks for the decision this long after its yes vote (or its restart), and again every this long. */
  queryIntervalMs: number;
}

export interface ParticipantStatus {
  /** The committed value of every key this participant holds. */
  data: Record<string, string>;
  /** Every locked key, with the transaction that holds it. */
  locks: Record<string, string>;
}

export interface Participant extends SimNode<Message> {
  status(): ParticipantStatus;
}

/**
 * The coordinator. Called when it starts and again after every crash, with the same `ctx.storage`:
 * its log. On a restart it finishes, from its log, every transaction it had begun.
 */
export function createCoordinator(ctx: NodeContext<Message>, options: CoordinatorOptions): SimNode<Message> {
  throw new Error('TODO: read your log (ctx.storage), then handle submit, vote and query');
}

/**
 * A participant. Called when it starts and again after every crash, with the same `ctx.storage`:
 * its committed data, the transactions it voted yes on, and the decisions it learned.
 */
export function createParticipant(ctx: NodeContext<Message>, options: ParticipantOptions): Participant {
  throw new Error('TODO: read your log (ctx.storage), lock what is still in doubt, then handle prepare, decision and query');
}
