import { createHash } from 'node:crypto';

/**
 * A worker's score for a customer: the first 64 bits of SHA-256 over both names. The separator
 * keeps ("ab", "c") and ("a", "bc") apart; the hash makes similar names score unrelated values.
 */
function score(customer: string, worker: string): bigint {
  return createHash('sha256').update(`${customer}\u0000${worker}`).digest().readBigUInt64BE(0);
}

/**
 * The k workers that serve `customer`, chosen from `workers` (n distinct names).
 *
 * Rendezvous (highest-random-weight) hashing: every worker gets a score that depends only on the
 * customer and the worker's name, and the customer's shard is the k workers with the lowest scores.
 * For each customer the scores order the workers like a random permutation, so the shard is like a
 * random k-subset: any of the C(n, k) shards, each with the same chance. Nothing depends on the
 * order of `workers` (ties, which are practically impossible, are broken by name), on state or on
 * Math.random(), so every front-end computes the same shard.
 */
export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  const n = workers.length;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`k must be an integer between 1 and the number of workers (${n}); got ${k}`);
  }
  if (new Set(workers).size !== n) throw new RangeError('worker names must be distinct');
  return workers
    .map((worker) => ({ worker, score: score(customer, worker) }))
    .sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0))
    .slice(0, k)
    .map((entry) => entry.worker);
}
