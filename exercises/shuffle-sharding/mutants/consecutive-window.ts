// mistake: takes k consecutive workers (in sorted order) after a hashed start: only n different shards instead of C(n, k)
// expect: consecutive
import { createHash } from 'node:crypto';

function hash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > workers.length) throw new RangeError(`k must be an integer between 1 and ${workers.length}`);
  if (new Set(workers).size !== workers.length) throw new RangeError('worker names must be distinct');
  const sorted = [...workers].sort();
  const start = hash(customer) % sorted.length;
  const shard: string[] = [];
  for (let i = 0; i < k; i++) shard.push(sorted[(start + i) % sorted.length]!);
  return shard;
}
