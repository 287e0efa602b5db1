/**
 * Hedged requests: when a call is slower than usual, send a second copy to another replica and
 * take whichever answer comes first, within a budget of extra load.
 */
export class Hedger {
  readonly #percentile: number;
  readonly #window: number;
  readonly #initialDelayMs: number;
  readonly #maxHedgeRatio: number;
  /** Latencies of the last `window` fulfilled requests, oldest first. */
  readonly #latencies: number[] = [];
  #requests = 0;
  #hedges = 0;

  constructor(options: { percentile: number; window: number; initialDelayMs: number; maxHedgeRatio: number }) {
    const { percentile, window, initialDelayMs, maxHedgeRatio } = options;
    if (!(percentile > 0 && percentile <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${percentile}`);
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
    if (!(initialDelayMs >= 0)) throw new RangeError(`initialDelayMs must be >= 0, got ${initialDelayMs}`);
    if (!(maxHedgeRatio >= 0 && maxHedgeRatio <= 1)) throw new RangeError(`maxHedgeRatio must be in [0, 1], got ${maxHedgeRatio}`);
    this.#percentile = percentile;
    this.#window = window;
    this.#initialDelayMs = initialDelayMs;
    this.#maxHedgeRatio = maxHedgeRatio;
  }

  request<T>(send: (replica: 0 | 1, signal: AbortSignal) => Promise<T>): Promise<T> {
    this.#requests++;
    const start = performance.now();
    const delay = this.#delay();
    const call = (replica: 0 | 1, signal: AbortSignal): Promise<T> => {
      try {
        return Promise.resolve(send(replica, signal));
      } catch (error) {
        return Promise.reject(error);
      }
    };

    return new Promise<T>((resolve, reject) => {
      let done = false;
      let hedged = false;
      let failures = 0;
      const primary = new AbortController();
      let hedge: AbortController | undefined;

      const finish = (): void => {
        done = true;
        clearTimeout(timer);
      };
      const fulfilled = (loser: () => AbortController | undefined) => (value: T): void => {
        if (done) return;
        finish();
        loser()?.abort();
        this.#record(performance.now() - start);
        resolve(value);
      };
      const rejected = (error: unknown): void => {
        if (done) return;
        failures++;
        // Before a hedge, an error ends the request; after one, only the second error does.
        if (hedged && failures < 2) return;
        finish();
        reject(error);
      };

      const timer = setTimeout(() => {
        if (done || this.#hedges + 1 > this.#maxHedgeRatio * this.#requests) return;
        this.#hedges++;
        hedged = true;
        hedge = new AbortController();
        call(1, hedge.signal).then(fulfilled(() => primary), rejected);
      }, delay);
      call(0, primary.signal).then(fulfilled(() => hedge), rejected);
    });
  }

  /** The `percentile` of the recent latencies (nearest rank), or `initialDelayMs` until `window` are known. */
  #delay(): number {
    const n = this.#latencies.length;
    if (n < this.#window) return this.#initialDelayMs;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    // Multiply first: percentile * n is exact for a whole percentile, where percentile / 100 is not.
    return sorted[Math.ceil((this.#percentile * n) / 100) - 1]!;
  }

  #record(latencyMs: number): void {
    this.#latencies.push(latencyMs);
    if (this.#latencies.length > this.#window) this.#latencies.shift();
  }
}
