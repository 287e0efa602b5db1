// mistake: refuses only when the estimate is over the limit (estimate > limit): limit + 1 requests pass in a fresh window
// expect: the next one is refused
interface KeyState {
  window: number;
  current: number;
  previous: number;
}

export class SlidingWindowLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly start: number;
  private readonly keys = new Map<string, KeyState>();
  private sweptWindow = 0;

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

  tryAcquire(key: string): boolean {
    const elapsed = performance.now() - this.start;
    const window = Math.floor(elapsed / this.windowMs);
    const fraction = (elapsed - window * this.windowMs) / this.windowMs;
    this.forgetIdle(window);

    const state = this.keys.get(key);
    let current = 0;
    let previous = 0;
    if (state?.window === window) {
      current = state.current;
      previous = state.previous;
    } else if (state?.window === window - 1) {
      previous = state.current;
    }

    const estimate = previous * (1 - fraction) + current;
    if (estimate > this.limit) return false;
    this.keys.set(key, { window, current: current + 1, previous });
    return true;
  }

  trackedKeys(): number {
    const elapsed = performance.now() - this.start;
    this.forgetIdle(Math.floor(elapsed / this.windowMs));
    return this.keys.size;
  }

  private forgetIdle(window: number): void {
    if (window === this.sweptWindow) return;
    this.sweptWindow = window;
    for (const [key, state] of this.keys) {
      if (state.window < window - 1) this.keys.delete(key);
    }
  }
}

