// A queueing model of a fleet of servers, shared by the hidden suite and the demo. Each server
// serves one request at a time, first come first served, with its own mean service time
// (exponential, seeded): a completion time is known at arrival, so the model needs no events of
// its own. Traffic is drawn once from a seed, so every balancer (the learner's, random, round
// robin, least loaded) faces exactly the same arrivals and the same service draws.
import { prng } from 'learn-ds/sim';

export interface Traffic {
  /** Arrival times in whole virtual ms, non-decreasing. */
  arrivals: number[];
  /** One uniform draw per request, turned into a service time by the server it lands on. */
  draws: number[];
}

export function traffic(seed: number, requests: number, perMs: number): Traffic {
  const random = prng(seed >>> 0);
  const arrivals: number[] = [];
  const draws: number[] = [];
  let t = 0;
  for (let i = 0; i < requests; i++) {
    t += -Math.log(1 - random()) / perMs;
    arrivals.push(Math.floor(t));
    draws.push(random());
  }
  return { arrivals, draws };
}

/** Whole ms, at least 1: an exponential service time of the given mean. */
export function serviceMs(meanMs: number, draw: number): number {
  return Math.max(1, Math.round(-Math.log(1 - draw) * meanMs));
}

export class Fleet {
  /** Completion times of the requests each server holds, oldest first. */
  readonly #queues: number[][];
  readonly #freeAt: number[];
  readonly latencies: number[] = [];
  /** The most requests one server held at once, seen at arrivals. */
  peak = 0;
  #sumInFlight = 0;
  #samples = 0;

  constructor(readonly means: readonly number[]) {
    this.#queues = means.map(() => []);
    this.#freeAt = means.map(() => 0);
  }

  /** Requests at each server at time t (those completing at t or before are done). */
  inFlightAt(t: number): number[] {
    return this.#queues.map((q) => {
      while (q.length > 0 && q[0]! <= t) q.shift();
      return q.length;
    });
  }

  /** A request arriving at t to server s: its completion time. */
  arrive(t: number, s: number, draw: number): number {
    const done = Math.max(t, this.#freeAt[s]!) + serviceMs(this.means[s]!, draw);
    this.#freeAt[s] = done;
    this.#queues[s]!.push(done);
    this.latencies.push(done - t);
    const counts = this.inFlightAt(t);
    this.peak = Math.max(this.peak, ...counts);
    this.#sumInFlight += counts.reduce((a, b) => a + b, 0) / counts.length;
    this.#samples++;
    return done;
  }

  meanInFlight(): number {
    return this.#samples === 0 ? 0 : this.#sumInFlight / this.#samples;
  }

  p99(): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.ceil(0.99 * sorted.length) - 1] ?? 0;
  }
}

export interface Outcome {
  peak: number;
  meanInFlight: number;
  p99: number;
}

export function outcome(fleet: Fleet): Outcome {
  return { peak: fleet.peak, meanInFlight: fleet.meanInFlight(), p99: fleet.p99() };
}

/** How a baseline balancer chooses: from the loads it sees (fresh or stale) and a random stream. */
export type Strategy = (loads: readonly number[], random: () => number, index: number) => number;

export const strategies: Record<string, Strategy> = {
  random: (loads, random) => Math.floor(random() * loads.length),
  'round robin': (loads, _random, index) => index % loads.length,
  'least loaded': (loads) => loads.indexOf(Math.min(...loads)),
  'two choices': (loads, random) => {
    const i = Math.floor(random() * loads.length);
    let j = Math.floor(random() * (loads.length - 1));
    if (j >= i) j++;
    return loads[j]! < loads[i]! ? j : i;
  },
};

/**
 * Runs a baseline over the traffic, without timers. With publishEveryMs, the loads it sees are
 * the fleet's in-flight counts as they were at the last multiple of publishEveryMs.
 */
export function runBaseline(means: readonly number[], t: Traffic, strategy: Strategy, seed: number, publishEveryMs?: number): Outcome {
  const fleet = new Fleet(means);
  const random = prng((seed ^ 0x5bd1e995) >>> 0);
  let published: number[] = means.map(() => 0);
  let publishedAt = 0;
  for (let i = 0; i < t.arrivals.length; i++) {
    const at = t.arrivals[i]!;
    let loads: number[];
    if (publishEveryMs === undefined) loads = fleet.inFlightAt(at);
    else {
      const epoch = Math.floor(at / publishEveryMs) * publishEveryMs;
      if (epoch > publishedAt) {
        published = fleet.inFlightAt(epoch);
        publishedAt = epoch;
      }
      loads = published;
    }
    fleet.arrive(at, strategy(loads, random, i), t.draws[i]!);
  }
  return outcome(fleet);
}
