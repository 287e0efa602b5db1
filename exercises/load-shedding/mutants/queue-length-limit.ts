// mistake: sheds on the queue's length (a fixed 10 waiting requests), not on the wait those requests mean
// expect: the queue's length
/** What a request gets back: the work's own response, or the shedder's 503. */
export interface Response {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface ShedderOptions {
  /** How many works may run at once (an integer >= 1). */
  concurrency: number;
  /** The longest a request may wait for a slot (a finite number >= 0). */
  maxQueueWaitMs: number;
  /** The value of the Retry-After header of every 503 (an integer >= 0). */
  retryAfterSeconds: number;
}

/** A request waiting for a slot. */
interface Waiting {
  arrivedAt: number;
  /** Runs its work in the freed slot and settles the request as the work does. */
  start(): void;
  /** Answers it 503 without running its work. */
  shed(): void;
}

/** Weight of the newest service time in the moving average. */
const NEWEST_WEIGHT = 0.2;

/**
 * Protects a server from more work than it can do: at most `concurrency` works run at once, a
 * request that would wait longer than `maxQueueWaitMs` is answered 503 at once instead of queued,
 * and a queued request that has waited too long by its turn is answered 503 instead of run.
 */
export class LoadShedder {
  readonly #concurrency: number;
  readonly #maxQueueWaitMs: number;
  readonly #retryAfter: string;
  #inFlight = 0;
  /** Waiting requests, oldest first. */
  readonly #queue: Waiting[] = [];
  /** Moving average of service times; undefined until a first work has finished. */
  #meanServiceMs: number | undefined;

  constructor(options: ShedderOptions) {
    const { concurrency, maxQueueWaitMs, retryAfterSeconds } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    }
    if (!Number.isFinite(maxQueueWaitMs) || maxQueueWaitMs < 0) {
      throw new RangeError(`maxQueueWaitMs must be a finite number >= 0, got ${maxQueueWaitMs}`);
    }
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
      throw new RangeError(`retryAfterSeconds must be an integer >= 0, got ${retryAfterSeconds}`);
    }
    this.#concurrency = concurrency;
    this.#maxQueueWaitMs = maxQueueWaitMs;
    this.#retryAfter = String(retryAfterSeconds);
  }

  /** Works running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  handle(work: () => Promise<Response>): Promise<Response> {
    if (this.#inFlight < this.#concurrency) return this.#run(work);
    if (this.#queue.length >= 10) return Promise.resolve(this.#unavailable());
    return new Promise<Response>((resolve, reject) => {
      this.#queue.push({
        arrivedAt: performance.now(),
        start: () => this.#run(work).then(resolve, reject),
        shed: () => resolve(this.#unavailable()),
      });
    });
  }

  /** A newcomer starts once the `queued + 1` works ahead of it have freed a slot. */
  #predictedWaitMs(): number {
    if (this.#meanServiceMs === undefined) return 0;
    return ((this.#queue.length + 1) * this.#meanServiceMs) / this.#concurrency;
  }

  #unavailable(): Response {
    return { status: 503, headers: { 'retry-after': this.#retryAfter } };
  }

  /** Runs `work` in a slot; when it settles, however it does, learns its service time and frees the slot. */
  #run(work: () => Promise<Response>): Promise<Response> {
    this.#inFlight++;
    const startedAt = performance.now();
    let running: Promise<Response>;
    try {
      running = Promise.resolve(work());
    } catch (error) {
      running = Promise.reject(error);
    }
    // finally() passes the work's response or error on unchanged.
    return running.finally(() => {
      this.#inFlight--;
      const serviceMs = performance.now() - startedAt;
      this.#meanServiceMs =
        this.#meanServiceMs === undefined
          ? serviceMs
          : (1 - NEWEST_WEIGHT) * this.#meanServiceMs + NEWEST_WEIGHT * serviceMs;
      this.#startNext();
    });
  }

  /** Gives the free slot to the oldest waiting request, answering 503 to each one that waited too long. */
  #startNext(): void {
    const now = performance.now();
    while (this.#inFlight < this.#concurrency && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      if (now - next.arrivedAt > this.#maxQueueWaitMs) next.shed();
      else next.start();
    }
  }
}
