/**
 * A saga orchestrator: it runs a saga's steps one at a time against services that fail, time out
 * and answer twice; when a step is declined it runs the compensations of the steps that succeeded,
 * in reverse order. Every request carries an idempotency key, the same for every attempt, so that
 * retries are safe; a request without a definite answer is retried, never given up; everything the
 * orchestrator knows is in its durable log, so that after a crash it resumes where it was.
 * Reference solution for learn-ds's saga exercise.
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

/** A request with no answer after this long is sent again, with the same key. */
const RETRY_MS = 40;

/** One saga, as the durable log keeps it. */
interface Entry {
  saga: string;
  steps: NodeId[];
  client: NodeId;
  /**
   * forward: step `at` is running (steps before it are done). compensating: step `at` is being
   * compensated (steps after it that succeeded are compensated already). Then one of the outcomes.
   */
  phase: 'forward' | 'compensating' | 'completed' | 'compensated';
  at: number;
}

const PREFIX = 'saga:';

/** The key of a step: unique to the saga and the step, and the same in every life of the orchestrator. */
function keyOf(saga: string, step: number): string {
  return JSON.stringify([saga, step]);
}

export function createOrchestrator(ctx: NodeContext<Message>): SimNode<Message> {
  /** The sagas not yet finished, and when their current request was last sent (this life). */
  const active = new Map<string, { entry: Entry; sentAt: number }>();

  const save = (entry: Entry) => ctx.storage.set(PREFIX + entry.saga, entry);
  const load = (saga: string) => ctx.storage.get<Entry>(PREFIX + saga);

  /** Sends the request the saga is waiting for, or tells the client how it ended. */
  function advance(entry: Entry): void {
    if (entry.phase === 'completed' || entry.phase === 'compensated') {
      active.delete(entry.saga);
      ctx.send(entry.client, { type: 'finished', saga: entry.saga, outcome: entry.phase });
      return;
    }
    active.set(entry.saga, { entry, sentAt: ctx.now() });
    const type = entry.phase === 'forward' ? 'do' : 'undo';
    ctx.send(entry.steps[entry.at]!, { type, saga: entry.saga, step: entry.at, key: keyOf(entry.saga, entry.at) });
  }

  /** Logs the saga's next state, then acts on it: the log is ahead of every message. */
  function move(entry: Entry, phase: Entry['phase'], at: number): void {
    if (phase === 'compensating' && at < 0) phase = 'compensated';
    const next: Entry = { ...entry, phase, at };
    save(next);
    advance(next);
  }

  function retry(): void {
    const now = ctx.now();
    for (const { entry, sentAt } of [...active.values()]) if (now - sentAt >= RETRY_MS) advance(entry);
    ctx.setTimer(RETRY_MS / 2, retry);
  }

  // Resume from the log: every saga not finished sends its current request again.
  for (const key of ctx.storage.keys()) {
    const entry = key.startsWith(PREFIX) ? ctx.storage.get<Entry>(key) : undefined;
    if (entry && (entry.phase === 'forward' || entry.phase === 'compensating')) advance(entry);
  }
  ctx.setTimer(RETRY_MS / 2, retry);

  return {
    receive(from, message) {
      if (message.type === 'start') {
        const known = load(message.saga);
        if (known === undefined) {
          const entry: Entry = { saga: message.saga, steps: [...message.steps], client: from, phase: 'forward', at: 0 };
          if (entry.steps.length === 0) entry.phase = 'completed';
          save(entry);
          advance(entry);
        } else if (known.phase === 'completed' || known.phase === 'compensated') {
          advance(known); // it asked again: tell it again
        }
        return;
      }
      if (message.type !== 'done' && message.type !== 'declined' && message.type !== 'undone') return;
      const current = active.get(message.saga)?.entry;
      // Only the answer to the request the saga is waiting for counts: a duplicate, or a late
      // answer to an earlier request, is ignored.
      if (current === undefined || message.step !== current.at || message.key !== keyOf(current.saga, current.at)) return;
      if (current.phase === 'forward' && message.type === 'done') {
        if (current.at + 1 === current.steps.length) move(current, 'completed', current.at);
        else move(current, 'forward', current.at + 1);
      } else if (current.phase === 'forward' && message.type === 'declined') {
        move(current, 'compensating', current.at - 1); // the declined step did nothing: not compensated
      } else if (current.phase === 'compensating' && message.type === 'undone') {
        move(current, 'compensating', current.at - 1);
      }
    },
  };
}
