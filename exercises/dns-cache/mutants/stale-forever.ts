// mistake: serves stale addresses on any failure, however long ago they expired (ignores staleGraceMs)
// expect: only within staleGraceMs
/** What the upstream server answers for a name that exists. */
export interface Answer {
  addresses: string[];
  ttlMs: number;
}

/** The upstream's answer for a name that does not exist (NXDOMAIN); negative answers have a TTL too. */
export class NameNotFoundError extends Error {
  override name = 'NameNotFoundError';

  constructor(readonly hostname: string, readonly ttlMs: number) {
    super(`${hostname}: no such name (NXDOMAIN)`);
  }
}

/** Asks the authoritative server; may be slow, may reject with NameNotFoundError (an answer) or any other error (a failure). */
export type Upstream = (hostname: string) => Promise<Answer>;

/** A cached answer: positive (addresses) or negative (the NameNotFoundError), valid until `expiresAt`. */
type Entry =
  | { kind: 'found'; addresses: string[]; expiresAt: number }
  | { kind: 'not-found'; error: NameNotFoundError; expiresAt: number };

/**
 * A resolver that remembers the upstream's answers, positive and negative, for as long as their
 * TTL says; shares one upstream lookup between concurrent callers; gives up on a slow upstream
 * after `upstreamTimeoutMs`; and, when the upstream fails, falls back on an answer that expired
 * less than `staleGraceMs` ago.
 */
export class CachingResolver {
  readonly #upstream: Upstream;
  readonly #upstreamTimeoutMs: number;
  readonly #staleGraceMs: number;
  /** Keyed by the lower-cased name. Expired entries stay: they are what a stale answer comes from. */
  readonly #cache = new Map<string, Entry>();
  /** The lookup in flight for a name, shared by every caller that asks while it runs. */
  readonly #inFlight = new Map<string, Promise<string[]>>();

  constructor(options: { upstream: Upstream; upstreamTimeoutMs: number; staleGraceMs: number }) {
    this.#upstream = options.upstream;
    this.#upstreamTimeoutMs = options.upstreamTimeoutMs;
    this.#staleGraceMs = options.staleGraceMs;
  }

  /** The addresses of `hostname`, from the cache while its answer is valid, otherwise from the upstream. */
  resolve(hostname: string): Promise<string[]> {
    const key = hostname.toLowerCase();
    const entry = this.#cache.get(key);
    if (entry !== undefined && performance.now() < entry.expiresAt) {
      return entry.kind === 'found' ? Promise.resolve([...entry.addresses]) : Promise.reject(entry.error);
    }
    let lookup = this.#inFlight.get(key);
    if (lookup === undefined) {
      lookup = this.#lookup(key).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, lookup);
    }
    return lookup;
  }

  async #lookup(key: string): Promise<string[]> {
    let answer: Answer;
    try {
      answer = await this.#askUpstream(key);
    } catch (error) {
      const now = performance.now();
      if (error instanceof NameNotFoundError) {
        // An answer, not a failure: remembered for the negative answer's own TTL.
        this.#cache.set(key, { kind: 'not-found', error, expiresAt: now + error.ttlMs });
        throw error;
      }
      // A failure: not remembered. Serve the last addresses if they expired only a little while ago.
      const entry = this.#cache.get(key);
      if (entry?.kind === 'found') return [...entry.addresses];
      throw error;
    }
    const addresses = [...answer.addresses];
    this.#cache.set(key, { kind: 'found', addresses, expiresAt: performance.now() + answer.ttlMs });
    return [...addresses];
  }

  /** The upstream's answer, or a rejection after upstreamTimeoutMs; the timer never outlives the call. */
  #askUpstream(key: string): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`looking up ${key} timed out after ${this.#upstreamTimeoutMs} ms`));
      }, this.#upstreamTimeoutMs);
      let asked: Promise<Answer>;
      try {
        asked = this.#upstream(key);
      } catch (error) {
        clearTimeout(timer);
        reject(error);
        return;
      }
      // Once the timer has fired, the upstream's late answer settles an already-settled promise:
      // it is ignored, and its rejection, if any, is handled here.
      Promise.resolve(asked).then(
        (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
