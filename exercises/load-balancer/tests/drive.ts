// Drives a balancer (the learner's) over seeded traffic against the queueing model, in virtual
// time: each request's send joins the chosen server's queue and resolves when the model says it
// is served. Shared by the hidden suite and the demo.
import { advance, controlMathRandom, fail, settle, show, streamFor, useVirtualTime, virtualNow } from 'learn-ds/harness';
import type { LoadBalancer } from 'learn-ds/subject/load-balancer';
import { Fleet, outcome, traffic, type Outcome } from './queueing.ts';

/** Builds the balancer for the servers, with `load` when loads are published. */
export type CreateBalancer = (servers: string[], load?: (server: string) => number) => LoadBalancer;

/**
 * Runs `requests` arrivals at `perMs` per ms to servers of the given mean service times. With
 * publishEveryMs, the balancer's `load` is the fleet's in-flight counts as they were at the last
 * multiple of publishEveryMs (stale load data); otherwise it has no `load` and counts its own.
 */
export async function driveFleet(create: CreateBalancer, means: readonly number[], seed: number, requests: number, perMs: number, publishEveryMs?: number): Promise<Outcome> {
  useVirtualTime();
  controlMathRandom(streamFor(`fleet ${seed}`));
  const t = traffic(seed, requests, perMs);
  const servers = means.map((_, i) => `server-${i}`);
  const fleet = new Fleet(means);
  const start = virtualNow();
  let published = means.map(() => 0);
  let publishedAt = 0;
  const lb = publishEveryMs === undefined ? create(servers) : create(servers, (server) => published[servers.indexOf(server)] ?? 0);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < t.arrivals.length; i++) {
    const at = t.arrivals[i]!;
    const wait = start + at - virtualNow();
    if (wait > 0) await advance(wait);
    if (publishEveryMs !== undefined) {
      const epoch = Math.floor(at / publishEveryMs) * publishEveryMs;
      if (epoch > publishedAt) {
        published = fleet.inFlightAt(epoch);
        publishedAt = epoch;
      }
    }
    pending.push(lb.request((server) => {
      const s = servers.indexOf(server);
      if (s < 0) fail(`send was called with ${show(server)}, not one of the servers ${show(servers)}`);
      const done = fleet.arrive(at, s, t.draws[i]!);
      return new Promise((resolve) => setTimeout(resolve, start + done - virtualNow()));
    }).catch(() => undefined)); // a timeout changes nothing in the model: the server still serves it
  }
  await settle(Promise.all(pending));
  return outcome(fleet);
}
