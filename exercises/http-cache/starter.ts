import type { Server } from 'node:http';

export interface ProxyOptions {
  /** The origin server's base URL, like `http://127.0.0.1:8080` (no path, no trailing slash). */
  origin: string;
}

/**
 * Returns an http.Server (not yet listening): a shared HTTP cache in front of `options.origin`.
 * It forwards what it cannot answer from its store, stores 200 responses to GET as RFC 9111 lets
 * a shared cache store them, serves them while fresh (with an Age header), revalidates them when
 * stale or no-cache, and sends one origin request for concurrent misses of a URL. See README.md
 * for every rule.
 */
export function createCachingProxy(options: ProxyOptions): Server {
  throw new Error('TODO: implement createCachingProxy (see README.md)');
}
