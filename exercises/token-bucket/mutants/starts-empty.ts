// mistake: starts with an empty bucket instead of a full one
// expect: starts full
export class TokenBucket {
  private readonly capacity: number;
  private readonly refillPerSecond: number;
  private tokens: number;
  private last: number;

  constructor(options: { capacity: number; refillPerSecond: number }) {
    const { capacity, refillPerSecond } = options;
    if (!Number.isFinite(capacity) || capacity <= 0) throw new RangeError('capacity must be positive and finite');
    if (!Number.isFinite(refillPerSecond) || refillPerSecond < 0) throw new RangeError('refillPerSecond must be >= 0 and finite');
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.tokens = 0;
    this.last = Date.now();
  }

  tryRemove(tokens = 1): boolean {
    if (tokens <= 0) throw new RangeError('tokens must be positive');
    this.refill();
    if (this.tokens < tokens) return false;
    this.tokens -= tokens;
    return true;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = Date.now();
    const elapsedMs = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs / 1000) * this.refillPerSecond);
  }
}
