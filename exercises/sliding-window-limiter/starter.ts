/**
 * A sliding-window rate limiter: each key may make about `limit` requests per `windowMs`.
 *
 * Time is cut into consecutive windows of `windowMs`, the first starting when the limiter is
 * created. For a request of a key at a moment `f` of the way through window `w` (0 ≤ f < 1), the
 * estimate is `previous × (1 − f) + current`, where `current` and `previous` count the key's
 * accepted requests in windows `w` and `w − 1`. The request passes, and is counted, only if
 * `estimate + 1 ≤ limit`.
 *
 * Read time with `Date.now()` or `performance.now()`; no timers are needed.
 */
export class SlidingWindowLimiter {
  /**
   * `limit`: the most requests a key may make per window, a positive integer.
   * `windowMs`: the length of a window in milliseconds, a positive finite number.
   * Throws a `RangeError` for any other value.
   */
  constructor(options: { limit: number; windowMs: number }) {
    void options;
    throw new Error('TODO: validate the options and remember when the limiter was created');
  }

  /**
   * Returns true, and counts the request in the current window, if `estimate + 1 ≤ limit` for `key`;
   * otherwise returns false and counts nothing.
   */
  tryAcquire(key: string): boolean {
    void key;
    throw new Error("TODO: bring the key's counters up to the current window, estimate, then decide");
  }

  /**
   * How many keys the limiter holds state for. A key with no accepted request in the current or
   * the previous window must hold none.
   */
  trackedKeys(): number {
    throw new Error('TODO: drop idle keys, then count the ones left');
  }
}
