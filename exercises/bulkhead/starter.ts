/**
 * What `run` rejects with when it refuses a call: `'queue-full'` when every slot is busy and the
 * queue is full, `'queue-timeout'` when the call waited `queueTimeoutMs` in the queue. Usable as it
 * is; you may give it a message or a `name`.
 */
export class BulkheadFullError extends Error {
  constructor(readonly reason: 'queue-full' | 'queue-timeout') {
    super(reason);
  }
}

/**
 * Gives one dependency a fixed share of a service's concurrency.
 *
 * - At most `maxConcurrent` tasks run at once; a call made while fewer run starts its task at once.
 * - Beyond that, up to `maxQueue` calls wait, first in, first out; a call made when the queue is
 *   full rejects at once with `BulkheadFullError('queue-full')`, and its task is never called.
 * - A call that has waited `queueTimeoutMs` rejects with `BulkheadFullError('queue-timeout')`,
 *   leaves the queue, and its task is never called.
 * - When a running task settles (fulfils, rejects or throws synchronously), the oldest waiting
 *   call starts, and its wait timer is cleared.
 *
 * Read time with `Date.now()` or `performance.now()`; wait with `setTimeout`.
 */
export class Bulkhead {
  /**
   * Throws a `RangeError` unless `maxConcurrent` is an integer >= 1, `maxQueue` an integer >= 0
   * and `queueTimeoutMs` a finite number >= 0.
   */
  constructor(options: { maxConcurrent: number; maxQueue: number; queueTimeoutMs: number }) {
    throw new Error('TODO: check and remember the options');
  }

  /**
   * Runs `task` now if a slot is free, or after waiting its turn, and settles as the task does:
   * with its value, or with its error (the very same object). Rejects with a `BulkheadFullError`
   * for a call it refuses, without calling `task`.
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    throw new Error('TODO: start the task, queue the call, or refuse it');
  }

  /** Tasks running now. */
  get active(): number {
    throw new Error('TODO: count the running tasks');
  }

  /** Calls waiting now. */
  get queued(): number {
    throw new Error('TODO: count the waiting calls');
  }
}
