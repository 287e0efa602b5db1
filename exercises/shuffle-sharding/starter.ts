/**
 * The k workers that serve `customer`, chosen from `workers` (n distinct names).
 *
 * - Returns k distinct members of `workers`, in any order.
 * - Depends only on the customer and on the set of workers: not on their order in the array, not on
 *   any state, not on Math.random(). Every front-end computes the same shard for a customer.
 * - Spreads like a random combination: the shard looks like a random k-subset of the workers, so
 *   two customers rarely share all k workers (about 1 in C(n, k)).
 * - Throws a RangeError when `k` is not an integer between 1 and n, or when worker names repeat.
 */
export function shardFor(customer: string, workers: readonly string[], k: number): string[] {
  void customer;
  void workers;
  void k;
  throw new Error('TODO: validate k and the workers, then pick k workers from a hash of the customer');
}
