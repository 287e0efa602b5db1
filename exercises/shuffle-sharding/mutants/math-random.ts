// mistake: shuffles with Math.random(), so the same customer gets a different shard on every call (and every front-end)
// expect: no Math.random()
export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > workers.length) throw new RangeError(`k must be an integer between 1 and ${workers.length}`);
  if (new Set(workers).size !== workers.length) throw new RangeError('worker names must be distinct');
  void customer;
  const deck = [...workers].sort();
  for (let i = deck.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [deck[i], deck[j]] = [deck[j]!, deck[i]!];
  }
  return deck.slice(0, k);
}
