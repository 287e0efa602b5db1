// Seeded synthetic traffic: what a baseline and a canary serve during one analysis window.
import type { Side, Window } from 'learn-ds/subject/canary-analysis';

export interface Service {
  /** Median latency in ms; latencies are log-normal around it. */
  medianMs: number;
  /** Spread of the log-normal (0.1: two requests in three within ±10% of the median). */
  spread?: number;
  /** Share of requests that fail. */
  errorRate: number;
}

/** A standard normal draw (Box–Muller) from a seeded uniform stream. */
function normal(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: the logarithm stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** `requests` requests of one side; latencies rounded to `resolutionMs` (ties come with it). */
export function serve(rand: () => number, service: Service, requests: number, resolutionMs = 0.1): Side {
  const latenciesMs: number[] = [];
  let errors = 0;
  for (let i = 0; i < requests; i++) {
    if (rand() < service.errorRate) {
      errors++;
      continue;
    }
    const ms = service.medianMs * Math.exp((service.spread ?? 0.1) * normal(rand));
    latenciesMs.push(Math.round(ms / resolutionMs) * resolutionMs);
  }
  return { latenciesMs, errors };
}

export function window(rand: () => number, baseline: Service, canary: Service, requests: number, resolutionMs = 0.1): Window {
  return { baseline: serve(rand, baseline, requests, resolutionMs), canary: serve(rand, canary, requests, resolutionMs) };
}

/** Requests per side in one window at each stage of the rollout (the canary's share grows). */
export const REQUESTS_AT: Readonly<Record<number, number>> = { 1: 1000, 10: 2000, 50: 4000 };

export const HEALTHY: Service = { medianMs: 120, errorRate: 0.002 };
