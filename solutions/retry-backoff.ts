/** How `retry` behaves. */
export interface RetryOptions {
  /** Total calls of `op`, the first one included (>= 1). */
  maxAttempts: number;
  /** The backoff ceiling before attempt 2; it doubles after each further failure. */
  baseDelayMs: number;
  /** Cap on any single wait. */
  maxDelayMs: number;
  /** Whether an error is worth another attempt; by default every error is retried. */
  retryable?: (error: unknown) => boolean;
  /** Cancels the whole retry: rejects with `signal.reason` and starts no further attempt. */
  signal?: AbortSignal;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (clearing the timer). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `op(1)`, `op(2)`, … until one resolves (its value is returned) or `maxAttempts` calls
 * have failed (the last error is rethrown, the same object). Before attempt k+1 it waits a random
 * delay drawn uniformly from [0, min(maxDelayMs, baseDelayMs * 2^(k-1))] (full jitter); there is
 * no wait after the last failure.
 */
export async function retry<T>(op: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { maxAttempts, baseDelayMs, maxDelayMs, retryable = () => true, signal } = options;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      // Inside the try: a synchronous throw from op is a failed attempt like any other.
      return await op(attempt);
    } catch (error) {
      // Give up with the error itself: no wrapping, and no wait after the last attempt.
      if (attempt >= maxAttempts || !retryable(error)) throw error;
      // Full jitter: a uniform wait in [0, ceiling], where the ceiling doubles each attempt.
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling, signal);
    }
  }
}
