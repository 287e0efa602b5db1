// mistake: lets a negative elapsed time through, so a clock stepping backwards destroys tokens (even below 0)
// expect: destroys no tokens
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
    const elapsedMs = now - this.last;
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs / 1000) * this.refillPerSecond);
  }
}
