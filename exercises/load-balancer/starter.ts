/** What the balancer is configured with (see the statement for every rule). */
export interface BalancerOptions {
  /** The servers' names (at least one, no duplicates). */
  servers: readonly string[];
  /** A request still pending after this long fails with an Error named 'TimeoutError'. */
  timeoutMs: number;
  /** The active health check: resolves true when the server is healthy (false or a rejection: failed). */
  probe: (server: string) => Promise<boolean>;
  /** k: this many consecutive failed checks take a server out. */
  unhealthyAfter: number;
  /** m: this many consecutive passed checks put an unhealthy server back. */
  healthyAfter: number;
  /** x: this many consecutive failed requests eject a server. */
  ejectAfter: number;
  /** The n-th ejection of a server lasts n × baseEjectionMs. */
  baseEjectionMs: number;
  /** When given, pick compares load(server) instead of its own in-flight counts. */
  load?: (server: string) => number;
}

/**
 * A client-side load balancer: the power of two random choices over in-flight counts, active
 * health checks and outlier ejection.
 */
export class LoadBalancer {
  /** Throws a RangeError for no servers, a repeated server, or k, m, x not positive integers. */
  constructor(options: BalancerOptions) {
    throw new Error('TODO: check and remember the options');
  }

  /** The servers in the pool now: healthy and not ejected. */
  available(): string[] {
    throw new Error('TODO: available');
  }

  /** Requests of this balancer in flight to `server`. */
  inFlight(server: string): number {
    throw new Error('TODO: inFlight');
  }

  /** Two distinct random servers of the pool (all servers when it is empty); the less loaded wins. */
  pick(): string {
    throw new Error('TODO: pick');
  }

  /** Picks a server, calls send(server, signal) and counts the call in flight until it ends, once. */
  request<T>(send: (server: string, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    throw new Error('TODO: request');
  }

  /** Probes every server once; resolves when every probe has answered. */
  checkHealth(): Promise<void> {
    throw new Error('TODO: checkHealth');
  }
}
