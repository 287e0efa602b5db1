/** The three states of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * What `call` rejects with when it refuses to call the downstream service: while the circuit is
 * open, or half-open with its trial call still in flight. Usable as it is; you may give it a
 * default message or a `name`.
 */
export class CircuitOpenError extends Error {}

/**
 * Wraps calls to a downstream service and stops calling it after repeated failures.
 *
 * - closed: calls go through; `failureThreshold` consecutive failures open the circuit
 *   (a success resets the count).
 * - open: `call` rejects with a `CircuitOpenError` without calling `op`, until `resetTimeoutMs`
 *   has passed since the circuit opened; from then `state` reads `'half-open'`, call or no call.
 * - half-open: one trial call goes through; calls made while it is in flight reject with
 *   `CircuitOpenError`. Its success closes the circuit (failure count reset to zero); its failure
 *   opens it again for another `resetTimeoutMs`.
 *
 * Read time with `Date.now()` or `performance.now()`; wait, if you need to, with `setTimeout`.
 */
export class CircuitBreaker {
  constructor(options: { failureThreshold: number; resetTimeoutMs: number }) {
    throw new Error('TODO: remember the options and start closed');
  }

  /** The current state. An open circuit reads `'half-open'` once `resetTimeoutMs` has passed. */
  get state(): CircuitState {
    throw new Error('TODO: return the current state');
  }

  /**
   * Calls `op` if the circuit lets it through and settles as `op` does: with its value, or with its
   * error, the very same object. Otherwise rejects with a `CircuitOpenError` without calling `op`.
   */
  async call<T>(op: () => Promise<T>): Promise<T> {
    throw new Error('TODO: let the call through, or refuse it, depending on the state');
  }
}
