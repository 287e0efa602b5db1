/** What the upstream server answers for a name that exists. */
export interface Answer {
  addresses: string[];
  ttlMs: number;
}

/**
 * The upstream's answer for a name that does not exist (NXDOMAIN). Negative answers have a TTL
 * too: `ttlMs` says how long the resolver may remember that the name does not exist.
 * Usable as it is.
 */
export class NameNotFoundError extends Error {
  override name = 'NameNotFoundError';

  constructor(readonly hostname: string, readonly ttlMs: number) {
    super(`${hostname}: no such name (NXDOMAIN)`);
  }
}

/**
 * Asks the authoritative server; may be slow, may reject with NameNotFoundError (an answer) or any
 * other error (a failure).
 */
export type Upstream = (hostname: string) => Promise<Answer>;

/**
 * A caching DNS resolver in front of an upstream server.
 *
 * 1. A positive answer is cached for its `ttlMs`: until then, `resolve` returns its addresses
 *    without asking the upstream.
 * 2. A negative answer (the upstream rejects with a `NameNotFoundError`) is cached for that error's
 *    `ttlMs`: until then, `resolve` rejects with a `NameNotFoundError` without asking the upstream.
 * 3. Concurrent `resolve` calls for a name share the lookup in flight for it: one upstream call.
 * 4. Names are case-insensitive: `Example.COM` and `example.com` are one cache entry.
 * 5. A failure (any other rejection, or no answer within `upstreamTimeoutMs`) is not cached. On a
 *    failure, addresses that expired less than `staleGraceMs` ago are returned; otherwise `resolve`
 *    rejects with the upstream's error, or on a timeout with an `Error` saying it timed out.
 * 6. A timed-out upstream call is abandoned; its timeout timer is cleared when the upstream answers
 *    first. Once `resolve` has settled, none of your timers is left scheduled.
 *
 * Read time with `Date.now()` or `performance.now()`; wait with `setTimeout`.
 */
export class CachingResolver {
  /**
   * `upstream`: the server to ask. `upstreamTimeoutMs`: how long to wait for it before giving up.
   * `staleGraceMs`: how long after it expired an answer may still be served when the upstream fails.
   */
  constructor(options: { upstream: Upstream; upstreamTimeoutMs: number; staleGraceMs: number }) {
    void options;
    throw new Error('TODO: remember the options and start with an empty cache');
  }

  /**
   * The addresses of `hostname`: from the cache while its answer is valid, otherwise from the
   * upstream (sharing a lookup already in flight). Rejects with a `NameNotFoundError` for a name
   * that does not exist, and with the failure when the upstream fails and no stale answer is at hand.
   */
  resolve(hostname: string): Promise<string[]> {
    void hostname;
    throw new Error('TODO: answer from the cache, join the lookup in flight, or ask the upstream');
  }
}
