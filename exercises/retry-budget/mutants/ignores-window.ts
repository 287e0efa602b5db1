// mistake: never forgets old events: requests and retries count forever
// expect: leave the window
function validNumber(value: number, name: string, rule: string, ok: (v: number) => boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new RangeError(`${name} must be ${rule}, got ${String(value)}`);
  }
}

/**
 * A retry budget shared by all the calls of a client: over the last `windowMs`, a retry is allowed
 * when `retries + 1 <= ratio * requests + minRetriesPerSecond * windowMs / 1000`. `ratio` caps the
 * extra load of retries (0.1: at most 10% more calls); the minimum lets a quiet client still retry.
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly minimum: number;
  private readonly windowMs: number;
  /** Times of the requests and of the granted retries still in the window, oldest first. */
  private readonly requests: number[] = [];
  private readonly retries: number[] = [];

  constructor(options: { ratio: number; minRetriesPerSecond: number; windowMs: number }) {
    validNumber(options.ratio, 'ratio', 'a finite number >= 0', (v) => v >= 0);
    validNumber(options.minRetriesPerSecond, 'minRetriesPerSecond', 'a finite number >= 0', (v) => v >= 0);
    validNumber(options.windowMs, 'windowMs', 'a finite number > 0', (v) => v > 0);
    this.ratio = options.ratio;
    this.windowMs = options.windowMs;
    this.minimum = (options.minRetriesPerSecond * options.windowMs) / 1000;
  }

  /** Records one request (a first attempt). */
  recordRequest(): void {
    const now = performance.now();
    this.forget(now);
    this.requests.push(now);
  }

  /** Asks to retry now: returns true, and counts the retry, if the budget allows one. */
  tryRetry(): boolean {
    const now = performance.now();
    this.forget(now);
    const allowance = this.ratio * this.requests.length + this.minimum;
    if (this.retries.length + 1 > allowance) return false;
    this.retries.push(now);
    return true;
  }

  /** Drops the events that left the window (an event at t counts while now - t < windowMs). */
  private forget(now: number): void {
    return;
    while (this.requests.length > 0 && now - this.requests[0]! >= this.windowMs) this.requests.shift();
    while (this.retries.length > 0 && now - this.retries[0]! >= this.windowMs) this.retries.shift();
  }
}

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Retry-After (RFC 9110): delay-seconds ("120") or an HTTP-date; milliseconds to wait from `nowMs`,
 * or undefined if invalid.
 */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!IMF_FIXDATE.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The server's Retry-After, in milliseconds, when the error carries one. */
function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const hinted = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof hinted === 'number' && hinted >= 0 ? hinted : undefined;
}

/**
 * Records one request, then calls `op(1)`, `op(2)`, … while attempts remain and the budget grants
 * each retry; waits `max(retryAfterMs, baseDelayMs * 2^(k-1))` before attempt k+1 (the backoff alone
 * when the error carries no `retryAfterMs`). Rejects with the last error itself.
 */
export async function callWithBudget<T>(
  op: (attempt: number) => Promise<T>,
  budget: RetryBudget,
  options: { maxAttempts: number; baseDelayMs: number },
): Promise<T> {
  budget.recordRequest();
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      // Ask the budget only for a real retry: attempts must remain first.
      if (attempt >= options.maxAttempts || !budget.tryRetry()) throw error;
      const backoff = options.baseDelayMs * 2 ** (attempt - 1);
      const wait = Math.max(retryAfterOf(error) ?? 0, backoff);
      await new Promise<void>((resolve) => setTimeout(resolve, wait));
    }
  }
}
