/**
 * A saga orchestrator: runs each saga's steps one at a time against services that fail, time out
 * and answer twice; when a step is declined, compensates the steps that succeeded, in reverse order;
 * resumes from its durable log after a crash. The contract is in the statement (`learn-ds show`).
 */
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

export type Message =
  // a client → the orchestrator, and its answer once the saga is over
  | { type: 'start'; saga: string; steps: NodeId[] }
  | { type: 'finished'; saga: string; outcome: 'completed' | 'compensated' }
  // the orchestrator → the service of step `step`: run it, or compensate it
  | { type: 'do'; saga: string; step: number; key: string }
  | { type: 'undo'; saga: string; step: number; key: string }
  // a service → the orchestrator (the fields of the request, echoed)
  | { type: 'done'; saga: string; step: number; key: string }        // the step took effect
  | { type: 'declined'; saga: string; step: number; key: string }    // it never will: nothing done
  | { type: 'undone'; saga: string; step: number; key: string }      // the compensation took effect
  | { type: 'unavailable'; saga: string; step: number; key: string }; // nothing done this time: ask again

/**
 * Called when the orchestrator starts, and again after every crash: only `ctx.storage` survives.
 * Returns the node; its `receive` gets every message sent to it.
 */
export function createOrchestrator(ctx: NodeContext<Message>): SimNode<Message> {
  throw new Error('TODO: write createOrchestrator');
}
