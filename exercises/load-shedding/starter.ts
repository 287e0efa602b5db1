/** What a request gets back: the work's own response, or the shedder's 503. */
export interface Response {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface ShedderOptions {
  /** How many works may run at once: an integer >= 1. */
  concurrency: number;
  /** The longest a request may wait for a slot, in ms: a finite number >= 0. */
  maxQueueWaitMs: number;
  /** The value of the `retry-after` header of every 503, in seconds: an integer >= 0. */
  retryAfterSeconds: number;
}

/**
 * Protects a server from more work than it can do.
 *
 * - A request that finds fewer than `concurrency` works running starts its work at once.
 * - Otherwise it is shed at once (answered 503, its work never called) when its predicted wait,
 *   `(queued + 1) × meanServiceMs ÷ concurrency`, exceeds `maxQueueWaitMs`; if not, it waits in
 *   the queue, first in, first out. Before any work has finished there is no prediction: it waits.
 * - `meanServiceMs` is a moving average of service times (from the moment a work starts to the
 *   moment it settles): the first one, then `0.8 × meanServiceMs + 0.2 × serviceMs`.
 * - When a work settles (fulfils, rejects or throws), its slot goes to the oldest waiting request;
 *   one that has waited more than `maxQueueWaitMs` by then is answered 503, its work never called,
 *   and the slot goes to the next.
 * - A 503 is `{ status: 503, headers: { 'retry-after': String(retryAfterSeconds) } }`: a response,
 *   never an error.
 *
 * Read time with `Date.now()` or `performance.now()`.
 */
export class LoadShedder {
  /**
   * Throws a `RangeError` unless `concurrency` is an integer >= 1, `maxQueueWaitMs` a finite
   * number >= 0 and `retryAfterSeconds` an integer >= 0.
   */
  constructor(options: ShedderOptions) {
    throw new Error('TODO: check and remember the options');
  }

  /**
   * Runs `work` now, after a wait in the queue, or not at all. Resolves with the work's own
   * response (the very same object), rejects with the work's own error, or resolves with a 503
   * when the request is shed.
   */
  handle(work: () => Promise<Response>): Promise<Response> {
    throw new Error('TODO: start the work, queue the request, or shed it');
  }

  /** Works running now. */
  get inFlight(): number {
    throw new Error('TODO: count the running works');
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    throw new Error('TODO: count the waiting requests');
  }
}
