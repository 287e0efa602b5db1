// mistake: off by one: returns k + 1 workers (slice(0, k + 1))
// expect: one too many
import { createHash } from 'node:crypto';

function score(customer: string, worker: string): bigint {
  return createHash('sha256').update(`${customer}\u0000${worker}`).digest().readBigUInt64BE(0);
}

export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > workers.length) throw new RangeError(`k must be an integer between 1 and ${workers.length}`);
  if (new Set(workers).size !== workers.length) throw new RangeError('worker names must be distinct');
  return workers
    .map((worker) => ({ worker, score: score(customer, worker) }))
    .sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.worker < b.worker ? -1 : 1))
    .slice(0, k + 1)
    .map((entry) => entry.worker);
}
