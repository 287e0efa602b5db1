/**
 * A sliding-window rate limiter (the "sliding window counter"): per key, it keeps only the number
 * of accepted requests in the current fixed window and in the previous one, and estimates the
 * requests of the last `windowMs` as `previous × (1 − f) + current`, where `f` is the fraction of
 * the current window that has elapsed. Nothing runs in the background: counters roll over lazily,
 * and idle keys are dropped lazily, at most once per window.
 */

interface KeyState {
  /** The last window with an accepted request: `current` counts the requests accepted in it. */
  window: number;
  /** Accepted requests in `window` (at least 1, or the key would not be stored). */
  current: number;
  /** Accepted requests in `window - 1`. */
  previous: number;
}

export class SlidingWindowLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  /** When the limiter was created, on a monotonic clock: window 0 starts here. */
  private readonly start: number;
  private readonly keys = new Map<string, KeyState>();
  /** The window in which idle keys were last dropped. */
  private sweptWindow = 0;

  /**
   * `limit`: the most requests a key may make per window, a positive integer.
   * `windowMs`: the window's length in milliseconds, positive and finite.
   */
  constructor(options: { limit: number; windowMs: number }) {
    const { limit, windowMs } = options;
    if (!Number.isInteger(limit) || limit <= 0) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new RangeError(`windowMs must be a positive finite number, got ${windowMs}`);
    }
    this.limit = limit;
    this.windowMs = windowMs;
    this.start = performance.now();
  }

  /** Accepts (and counts) the request if the estimate for `key` leaves room for it. */
  tryAcquire(key: string): boolean {
    const elapsed = performance.now() - this.start;
    const window = Math.floor(elapsed / this.windowMs);
    const fraction = (elapsed - window * this.windowMs) / this.windowMs;
    this.forgetIdle(window);

    // The key's counters as seen from `window`, without storing anything yet: a refused request
    // must change nothing.
    const state = this.keys.get(key);
    let current = 0;
    let previous = 0;
    if (state?.window === window) {
      current = state.current;
      previous = state.previous;
    } else if (state?.window === window - 1) {
      previous = state.current;
    }
    // Two or more windows back: the previous window had no accepted request, so both are 0.

    const estimate = previous * (1 - fraction) + current;
    if (estimate + 1 > this.limit) return false;
    this.keys.set(key, { window, current: current + 1, previous });
    return true;
  }

  /** How many keys the limiter holds state for: those with an accepted request in the current or previous window. */
  trackedKeys(): number {
    const elapsed = performance.now() - this.start;
    this.forgetIdle(Math.floor(elapsed / this.windowMs));
    return this.keys.size;
  }

  /** Drops every key with no accepted request in `window` or `window - 1`; a key only goes idle when a window ends, so once per window is enough. */
  private forgetIdle(window: number): void {
    if (window === this.sweptWindow) return;
    this.sweptWindow = window;
    for (const [key, state] of this.keys) {
      if (state.window < window - 1) this.keys.delete(key);
    }
  }
}
