/** Why `run` refused a call: the queue was full, or the call waited `queueTimeoutMs` in it. */
export class BulkheadFullError extends Error {
  override name = 'BulkheadFullError';

  constructor(readonly reason: 'queue-full' | 'queue-timeout') {
    super(
      reason === 'queue-full'
        ? 'the bulkhead is full: every slot is busy and the queue is full'
        : 'the call waited too long in the bulkhead queue',
    );
  }
}

/** A call waiting for a slot. */
interface Waiter {
  /** Takes the freed slot: clears the wait timer and runs the task. */
  start(): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Gives one dependency a fixed share of a service's concurrency: at most `maxConcurrent` tasks run
 * at once, up to `maxQueue` more calls wait their turn (first in, first out) for at most
 * `queueTimeoutMs` each, and anything beyond is refused at once.
 */
export class Bulkhead {
  readonly #maxConcurrent: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number;
  #active = 0;
  /** Waiting calls, oldest first. */
  readonly #queue: Waiter[] = [];

  constructor(options: { maxConcurrent: number; maxQueue: number; queueTimeoutMs: number }) {
    const { maxConcurrent, maxQueue, queueTimeoutMs } = options;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be an integer >= 1, got ${maxConcurrent}`);
    }
    if (!Number.isInteger(maxQueue) || maxQueue < 0) {
      throw new RangeError(`maxQueue must be an integer >= 0, got ${maxQueue}`);
    }
    if (!Number.isFinite(queueTimeoutMs) || queueTimeoutMs < 0) {
      throw new RangeError(`queueTimeoutMs must be a finite number >= 0, got ${queueTimeoutMs}`);
    }
    this.#maxConcurrent = maxConcurrent;
    this.#maxQueue = maxQueue;
    this.#queueTimeoutMs = queueTimeoutMs;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.#queue.length;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.#maxConcurrent) return this.#start(task);
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(new BulkheadFullError('queue-full'));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.#start(task).then(resolve, reject);
        },
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          reject(new BulkheadFullError('queue-timeout'));
        }, this.#queueTimeoutMs),
      };
      this.#queue.push(waiter);
    });
  }

  /** Runs `task` in a slot; when it settles, however it does, the slot goes to the oldest waiting call. */
  #start<T>(task: () => Promise<T>): Promise<T> {
    this.#active++;
    let running: Promise<T>;
    try {
      running = Promise.resolve(task());
    } catch (error) {
      running = Promise.reject(error);
    }
    // finally() passes the task's value or error on unchanged.
    return running.finally(() => {
      this.#active--;
      this.#queue.shift()?.start();
    });
  }
}
