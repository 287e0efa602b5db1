/**
 * A client-side load balancer: the power of two random choices over in-flight counts, active
 * health checks, and outlier ejection from the requests' own failures.
 */
export interface BalancerOptions {
  /** The servers' names (at least one, no duplicates). */
  servers: readonly string[];
  /** A request still pending after this long fails with an Error named 'TimeoutError'. */
  timeoutMs: number;
  /** The active health check: resolves true when the server is healthy. */
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

interface ServerState {
  inFlight: number;
  healthy: boolean;
  /** Consecutive failed checks while healthy, or passed checks while unhealthy. */
  checkStreak: number;
  /** Consecutive failed requests since the last success or return from ejection. */
  failures: number;
  ejections: number;
  ejectedUntil: number;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

export class LoadBalancer {
  readonly #options: BalancerOptions;
  readonly #servers: readonly string[];
  readonly #state = new Map<string, ServerState>();

  constructor(options: BalancerOptions) {
    if (options.servers.length === 0) throw new RangeError('servers must not be empty');
    if (new Set(options.servers).size !== options.servers.length) throw new RangeError('servers must not repeat');
    positiveInteger('unhealthyAfter', options.unhealthyAfter);
    positiveInteger('healthyAfter', options.healthyAfter);
    positiveInteger('ejectAfter', options.ejectAfter);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    if (!(options.baseEjectionMs >= 0)) throw new RangeError(`baseEjectionMs must be >= 0, got ${options.baseEjectionMs}`);
    this.#options = options;
    this.#servers = [...options.servers];
    for (const server of this.#servers) {
      this.#state.set(server, { inFlight: 0, healthy: true, checkStreak: 0, failures: 0, ejections: 0, ejectedUntil: -Infinity });
    }
  }

  #get(server: string): ServerState {
    const state = this.#state.get(server);
    if (!state) throw new RangeError(`unknown server ${server}`);
    return state;
  }

  #ejected(state: ServerState): boolean {
    return Date.now() < state.ejectedUntil;
  }

  /** The servers requests may go to now: healthy and not ejected, in the constructor's order. */
  available(): string[] {
    return this.#servers.filter((server) => {
      const state = this.#get(server);
      return state.healthy && !this.#ejected(state);
    });
  }

  inFlight(server: string): number {
    return this.#get(server).inFlight;
  }

  #loadOf(server: string): number {
    return this.#options.load ? this.#options.load(server) : this.#get(server).inFlight;
  }

  /** Two distinct random servers of the pool (all servers when the pool is empty); the less loaded wins, the first drawn on a tie. */
  pick(): string {
    const available = this.available();
    const pool = available.length > 0 ? available : this.#servers;
    if (pool.length === 1) return pool[0]!;
    const i = Math.floor(Math.random() * pool.length);
    let j = Math.floor(Math.random() * (pool.length - 1));
    if (j >= i) j++; // skip i: the second choice is another server
    const a = pool[i]!;
    const b = pool[j]!;
    return this.#loadOf(b) < this.#loadOf(a) ? b : a;
  }

  request<T>(send: (server: string, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const server = this.pick();
    const state = this.#get(server);
    const controller = new AbortController();
    state.inFlight++;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      // Every way out goes through here, once: the in-flight count drops exactly once.
      const finish = (outcome: 'success' | 'failure' | 'aborted'): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        state.inFlight--;
        if (outcome !== 'aborted') this.#recordOutcome(state, outcome === 'success');
        return true;
      };
      const onAbort = (): void => {
        if (finish('aborted')) {
          controller.abort(signal!.reason);
          reject(signal!.reason);
        }
      };
      const timer = setTimeout(() => {
        if (finish('failure')) {
          const error = new Error(`request to ${server} timed out after ${this.#options.timeoutMs} ms`);
          error.name = 'TimeoutError';
          controller.abort(error);
          reject(error);
        }
      }, this.#options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      let call: Promise<T>;
      try {
        call = Promise.resolve(send(server, controller.signal));
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        (value) => { if (finish('success')) resolve(value); },
        (error: unknown) => { if (finish('failure')) reject(error); },
      );
    });
  }

  /** Passive outlier detection: ejectAfter consecutive failures eject, for longer each time. */
  #recordOutcome(state: ServerState, success: boolean): void {
    if (this.#ejected(state)) return; // outcomes while ejected are ignored
    if (success) {
      state.failures = 0;
      return;
    }
    if (++state.failures >= this.#options.ejectAfter) {
      state.failures = 0;
      state.ejections++;
      state.ejectedUntil = Date.now() + state.ejections * this.#options.baseEjectionMs;
    }
  }

  /** Probes every server once; k failures in a row take it out, m passes in a row put it back. */
  async checkHealth(): Promise<void> {
    await Promise.all(this.#servers.map(async (server) => {
      let passed: boolean;
      try {
        passed = (await this.#options.probe(server)) === true;
      } catch {
        passed = false;
      }
      const state = this.#get(server);
      if (state.healthy === passed) {
        state.checkStreak = 0;
        return;
      }
      state.checkStreak++;
      if (state.healthy && state.checkStreak >= this.#options.unhealthyAfter) {
        state.healthy = false;
        state.checkStreak = 0;
      } else if (!state.healthy && state.checkStreak >= this.#options.healthyAfter) {
        state.healthy = true;
        state.checkStreak = 0;
      }
    }));
  }
}
