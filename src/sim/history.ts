/**
 * Clients and their history. A simulated client sends a request to a node and waits for the reply
 * that names it (`inReplyTo` = the request's `msgId`, as in Maelstrom); the history records when
 * each operation was invoked and when it completed. An operation whose reply never came has an
 * unknown outcome: it may or may not have taken effect, so it stays open until the end of time.
 */
import { summarize } from './format.ts';
import type { Simulation } from './simulation.ts';
import type { NodeId } from './types.ts';

export interface Operation<I = unknown, O = unknown> {
  id: number;
  client: NodeId;
  input: I;
  /** undefined while pending or when the outcome is unknown. */
  output: O | undefined;
  /** True times, ms. `returnTime` is Infinity when the outcome is unknown (timeout). */
  callTime: number;
  returnTime: number;
}

/**
 * The last histories made, newest last: the harness records a failing run's (verify/harness/record.ts).
 * Enough of them for the runs of one shrinking (each run makes its own).
 */
export const recentHistories: History<any, any>[] = [];

export class History<I = unknown, O = unknown> {
  readonly ops: Operation<I, O>[] = [];

  constructor() {
    if (recentHistories.push(this) > 64) recentHistories.shift();
  }

  invoke(client: NodeId, input: I, time: number): Operation<I, O> {
    const op: Operation<I, O> = { id: this.ops.length, client, input, output: undefined, callTime: time, returnTime: Infinity };
    this.ops.push(op);
    return op;
  }

  complete(op: Operation<I, O>, output: O, time: number): void {
    op.output = output;
    op.returnTime = time;
  }
}

export interface Reply {
  inReplyTo: number;
  [field: string]: unknown;
}

/**
 * One client process: at most one request in flight (like a Jepsen process); a request times out
 * after `timeoutMs` and is then left with an unknown outcome in the history. A `droppable` client's
 * operations are steps of the fault schedule that shrinking may leave out (for a random workload,
 * not for operations a check is about): one left out is neither sent nor recorded, and its `done`
 * runs after `timeoutMs`, as if the client had waited for nothing.
 */
export class SimClient<I, O> {
  #nextMsgId = 1;
  #pending: { msgId: number; op: Operation<I, O>; toOutput: (reply: Reply) => O; done: (op: Operation<I, O>) => void } | undefined;

  constructor(
    readonly sim: Simulation<any, any>,
    readonly id: NodeId,
    readonly history: History<I, O>,
    readonly timeoutMs: number,
    readonly droppable = false,
  ) {
    sim.addClient(id, (_from, message) => this.#receive(message as Reply));
  }

  get busy(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Sends `request` (with a fresh `msgId`) to `node` and records `input` in the history; `toOutput`
   * turns the reply into the operation's output. `done` runs when it completes or times out.
   */
  call(node: NodeId, request: Record<string, unknown>, input: I, toOutput: (reply: Reply) => O, done: (op: Operation<I, O>) => void = () => {}, what?: string): void {
    if (this.#pending) throw new Error(`client ${this.id} already has a request in flight`);
    const step = this.droppable ? this.sim.operation(this.id, what ?? `${this.id} sends ${summarize(request)} to ${node}`) : undefined;
    if (this.droppable && step === undefined) {
      const skipped: Operation<I, O> = { id: -1, client: this.id, input, output: undefined, callTime: this.sim.now, returnTime: Infinity };
      this.sim.after(this.timeoutMs, () => done(skipped));
      return;
    }
    const msgId = this.#nextMsgId++;
    const op = this.history.invoke(this.id, input, this.sim.now);
    const pending = { msgId, op, toOutput, done: (o: Operation<I, O>) => {
      if (Number.isFinite(o.returnTime)) step?.answered();
      done(o);
    } };
    this.#pending = pending;
    this.sim.sendFrom(this.id, node, { ...request, msgId });
    this.sim.after(this.timeoutMs, () => {
      if (this.#pending !== pending) return;
      this.#pending = undefined;
      done(op);
    });
  }

  #receive(reply: Reply): void {
    const p = this.#pending;
    if (!p || typeof reply !== 'object' || reply === null || reply.inReplyTo !== p.msgId) return;
    this.#pending = undefined;
    this.history.complete(p.op, p.toOutput(reply), this.sim.now);
    p.done(p.op);
  }
}
