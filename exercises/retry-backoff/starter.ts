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

/**
 * Calls `op(1)`, `op(2)`, … until one resolves (its value is returned) or `maxAttempts` calls
 * have failed (the last error is rethrown, the same object). Before attempt k+1 it waits a random
 * delay drawn uniformly from [0, min(maxDelayMs, baseDelayMs * 2^(k-1))] (full jitter), using
 * `Math.random()` and `setTimeout`; there is no wait after the last failure.
 */
export function retry<T>(op: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  throw new Error('TODO: implement retry (see README.md)');
}
