// mistake: refills only in whole seconds (keeps the remainder, but no fractional refill)
// expect: fraction
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
    this.tokens = capacity;
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
    const seconds = Math.floor(Math.max(0, now - this.last) / 1000);
    if (seconds === 0) return;
    this.last += seconds * 1000;
    this.tokens = Math.min(this.capacity, this.tokens + seconds * this.refillPerSecond);
  }
}
