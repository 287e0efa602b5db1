/**
 * A token bucket: it starts full, refills continuously at `refillPerSecond` up to `capacity`,
 * and each request takes tokens out of it. Nothing runs in the background: the bucket refills
 * lazily, from the time that passed since it was last looked at.
 */
export class TokenBucket {
  private readonly capacity: number;
  private readonly refillPerSecond: number;
  private tokens: number;
  /** When `tokens` was last brought up to date, in milliseconds on a monotonic clock. */
  private updatedAt: number;

  /**
   * `capacity`: the most tokens the bucket holds (the largest burst), positive and finite.
   * `refillPerSecond`: tokens added per second, continuously; zero (never refills) or more, finite.
   */
  constructor(options: { capacity: number; refillPerSecond: number }) {
    const { capacity, refillPerSecond } = options;
    if (!Number.isFinite(capacity) || capacity <= 0) {
      throw new RangeError(`capacity must be a positive finite number, got ${capacity}`);
    }
    if (!Number.isFinite(refillPerSecond) || refillPerSecond < 0) {
      throw new RangeError(`refillPerSecond must be zero or a positive finite number, got ${refillPerSecond}`);
    }
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.tokens = capacity;
    this.updatedAt = performance.now();
  }

  /** Takes `tokens` and returns true if that many are available; otherwise takes nothing and returns false. */
  tryRemove(tokens = 1): boolean {
    if (!(tokens > 0)) throw new RangeError(`tokens must be positive, got ${tokens}`);
    this.refill();
    if (this.tokens < tokens) return false;
    this.tokens -= tokens;
    return true;
  }

  /** The tokens in the bucket now, fractional part included. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = performance.now();
    // performance.now() never goes backwards, but a clock that did must not create tokens (nor
    // destroy them): only time that really moved forward counts.
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs / 1000) * this.refillPerSecond);
  }
}
