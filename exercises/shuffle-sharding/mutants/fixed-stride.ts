// mistake: hashes the customer to pick the first worker only, then takes the others at a fixed stride: only n different shards
// expect: only the first pick depends on the customer
import { createHash } from 'node:crypto';

function hash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > workers.length) throw new RangeError(`k must be an integer between 1 and ${workers.length}`);
  if (new Set(workers).size !== workers.length) throw new RangeError('worker names must be distinct');
  const sorted = [...workers].sort();
  const n = sorted.length;
  const start = hash(customer) % n;
  const stride = Math.floor(n / k);
  const shard: string[] = [];
  for (let i = 0; i < k; i++) shard.push(sorted[(start + i * stride) % n]!);
  return shard;
}
