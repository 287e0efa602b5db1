// mistake: picks each of the k workers independently (with replacement), so a shard can hold the same worker twice
// expect: without replacement
import { createHash } from 'node:crypto';

function hash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > workers.length) throw new RangeError(`k must be an integer between 1 and ${workers.length}`);
  if (new Set(workers).size !== workers.length) throw new RangeError('worker names must be distinct');
  const sorted = [...workers].sort();
  const shard: string[] = [];
  for (let i = 0; i < k; i++) shard.push(sorted[hash(`${customer}#${i}`) % sorted.length]!);
  return shard;
}
