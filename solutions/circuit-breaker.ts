/** The three states of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What `call` rejects with when it refuses to call the downstream service. */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';

  constructor(message = 'the circuit is open: the call was not attempted') {
    super(message);
  }
}

/**
 * Wraps calls to a downstream service. After `failureThreshold` consecutive failures it stops
 * calling (open); once `resetTimeoutMs` has passed it lets one trial call through (half-open),
 * whose outcome decides whether to close again or to stay open for another `resetTimeoutMs`.
 */
export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #resetTimeoutMs: number;
  /** Consecutive failures seen while closed. */
  #failures = 0;
  /** When the circuit last opened (Date.now()), or null while it is closed. */
  #openedAt: number | null = null;
  /** True while the half-open trial call is in flight. */
  #trialInFlight = false;

  constructor(options: { failureThreshold: number; resetTimeoutMs: number }) {
    this.#failureThreshold = options.failureThreshold;
    this.#resetTimeoutMs = options.resetTimeoutMs;
  }

  /** Computed from the clock, so an open circuit turns half-open by itself, with or without a call. */
  get state(): CircuitState {
    if (this.#openedAt === null) return 'closed';
    if (this.#trialInFlight) return 'half-open';
    return Date.now() - this.#openedAt >= this.#resetTimeoutMs ? 'half-open' : 'open';
  }

  async call<T>(op: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open') throw new CircuitOpenError();
    if (state === 'half-open') {
      if (this.#trialInFlight) throw new CircuitOpenError('the circuit is half-open and its trial call is in flight');
      return this.#trial(op);
    }
    try {
      const value = await op();
      // A call let through while closed may settle after the circuit opened: then only the trial
      // decides, and this late outcome changes nothing.
      if (this.#openedAt === null) this.#failures = 0;
      return value;
    } catch (error) {
      if (this.#openedAt === null && ++this.#failures >= this.#failureThreshold) this.#open();
      throw error;
    }
  }

  async #trial<T>(op: () => Promise<T>): Promise<T> {
    this.#trialInFlight = true;
    try {
      const value = await op();
      this.#openedAt = null;
      this.#failures = 0;
      return value;
    } catch (error) {
      this.#open(); // for another resetTimeoutMs, counted from now
      throw error;
    } finally {
      this.#trialInFlight = false;
    }
  }

  #open(): void {
    this.#openedAt = Date.now();
  }
}
