/**
 * Sends each request to replica 0 and, when that call is slower than usual, a second copy (a
 * hedge) to replica 1; the first call to fulfil wins.
 *
 * - The hedge delay is the `percentile` of the latencies of the last `window` fulfilled requests
 *   (nearest rank), or `initialDelayMs` until `window` latencies are known.
 * - A hedge is sent only if it keeps `hedges <= maxHedgeRatio * requests`.
 * - Before a hedge, an error of the primary rejects the request at once; after one, the request
 *   rejects only when both calls have rejected, with the error of the one that rejected last.
 * - The loser's signal is aborted; no timer is left scheduled once the request has settled.
 *
 * Read time with `Date.now()` or `performance.now()`; wait with `setTimeout`.
 */
export class Hedger {
  /**
   * Throws a `RangeError` unless `percentile` is in (0, 100], `window` a positive integer,
   * `initialDelayMs` >= 0 and `maxHedgeRatio` in [0, 1].
   */
  constructor(options: {
    percentile: number; // e.g. 95: hedge after the p95 of recent latencies
    window: number; // how many recent latencies to remember
    initialDelayMs: number; // the hedge delay until `window` latencies are known
    maxHedgeRatio: number; // at most this fraction of requests are hedged, e.g. 0.1
  }) {
    throw new Error('TODO: check and remember the options');
  }

  /**
   * Calls `send(0, signal0)` at once, and `send(1, signal1)` if that call is still pending after
   * the hedge delay and the budget allows it. Settles with the first value, or with an error as
   * the rules say.
   */
  request<T>(send: (replica: 0 | 1, signal: AbortSignal) => Promise<T>): Promise<T> {
    throw new Error('TODO: send the primary, arm the hedge timer, and race the two calls');
  }
}
