// mistake: off by one: returns k - 1 workers (a loop that stops one pick early)
// expect: one too few
import { createHash } from 'node:crypto';

function score(customer: string, worker: string): bigint {
  return createHash('sha256').update(`${customer}\u0000${worker}`).digest().readBigUInt64BE(0);
}

export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > workers.length) throw new RangeError(`k must be an integer between 1 and ${workers.length}`);
  if (new Set(workers).size !== workers.length) throw new RangeError('worker names must be distinct');
  const ranked = workers
    .map((worker) => ({ worker, score: score(customer, worker) }))
    .sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.worker < b.worker ? -1 : 1));
  const shard: string[] = [];
  for (let i = 1; i < k; i++) shard.push(ranked[i - 1]!.worker);
  return shard;
}
