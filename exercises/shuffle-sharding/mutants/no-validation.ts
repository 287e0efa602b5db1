// mistake: validates nothing: k = 0, k > n, k = 2.5 and duplicate worker names are accepted
// expect: RangeError
import { createHash } from 'node:crypto';

function score(customer: string, worker: string): bigint {
  return createHash('sha256').update(`${customer}\u0000${worker}`).digest().readBigUInt64BE(0);
}

export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  return workers
    .map((worker) => ({ worker, score: score(customer, worker) }))
    .sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.worker < b.worker ? -1 : 1))
    .slice(0, k)
    .map((entry) => entry.worker);
}
