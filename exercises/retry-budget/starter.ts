/**
 * A retry budget shared by all the calls of a client. Over the last `windowMs` (an event at time t
 * counts while now - t < windowMs), a retry is allowed when
 * `retries + 1 <= ratio * requests + minRetriesPerSecond * windowMs / 1000`.
 */
export class RetryBudget {
  /** Throws a RangeError unless ratio >= 0, minRetriesPerSecond >= 0 and windowMs > 0 (all finite). */
  constructor(options: { ratio: number; minRetriesPerSecond: number; windowMs: number }) {
    throw new Error('TODO: implement the RetryBudget constructor (see README.md)');
  }

  /** Records one request (a first attempt). */
  recordRequest(): void {
    throw new Error('TODO: implement recordRequest (see README.md)');
  }

  /** Asks to retry now: returns true, and counts the retry, if the budget allows one. */
  tryRetry(): boolean {
    throw new Error('TODO: implement tryRetry (see README.md)');
  }
}

/**
 * Retry-After (RFC 9110): delay-seconds ("120") or an HTTP-date; milliseconds to wait from `nowMs`,
 * or undefined if invalid.
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  throw new Error('TODO: implement parseRetryAfter (see README.md)');
}

/**
 * Records one request with `budget`, then calls `op(1)`, `op(2)`, … while attempts remain and
 * `budget.tryRetry()` grants each retry. Before attempt k+1 it waits
 * `max(error.retryAfterMs, baseDelayMs * 2^(k-1))` (the backoff alone when the error carries no
 * `retryAfterMs`). Resolves with the first success; otherwise rejects with the last error itself.
 */
export function callWithBudget<T>(
  op: (attempt: number) => Promise<T>,
  budget: RetryBudget,
  options: { maxAttempts: number; baseDelayMs: number },
): Promise<T> {
  throw new Error('TODO: implement callWithBudget (see README.md)');
}
