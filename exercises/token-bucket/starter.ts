/**
 * A token bucket rate limiter. It starts full, with `capacity` tokens, and refills continuously at
 * `refillPerSecond` tokens per second, never above `capacity`. Each request takes tokens out;
 * when there are not enough, the request is refused and nothing is taken.
 *
 * Read time with `Date.now()` or `performance.now()`; no timers are needed.
 */
export class TokenBucket {
  /**
   * `capacity`: the most tokens the bucket holds (the largest burst); a positive finite number.
   * `refillPerSecond`: tokens added per second, continuously; zero (never refills) or a positive finite number.
   * Throws a `RangeError` for any other value.
   */
  constructor(options: { capacity: number; refillPerSecond: number }) {
    void options;
    throw new Error('TODO: validate the options and start with a full bucket');
  }

  /**
   * Takes `tokens` (default 1) and returns true if at least that many are available;
   * otherwise takes nothing and returns false. Throws a `RangeError` if `tokens` is not positive.
   */
  tryRemove(tokens?: number): boolean {
    void tokens;
    throw new Error('TODO: refill, then take the tokens if there are enough');
  }

  /** The tokens in the bucket now, after refilling; may be fractional, always within [0, capacity]. */
  available(): number {
    throw new Error('TODO: refill, then report the tokens');
  }
}
