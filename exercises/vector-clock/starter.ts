/**
 * Vector clocks: a logical clock that tells whether one event happened before another, or whether
 * the two are concurrent. A clock maps each node's name to a counter; a missing entry counts as 0.
 * None of these functions may modify the clocks they are given: they return new objects.
 */

/** A vector clock: node name → number of events counted for that node. A missing entry is 0. */
export type VectorClock = Readonly<Record<string, number>>;

/** How one clock relates to another. */
export type Order = 'before' | 'after' | 'equal' | 'concurrent';

/**
 * Returns a new clock in which `node`'s entry is one more than in `clock` (a missing entry counts
 * as 0, so it becomes 1). Every other entry is unchanged, and `clock` itself is left untouched.
 */
export function increment(clock: VectorClock, node: string): VectorClock {
  throw new Error('TODO: implement increment');
}

/**
 * Returns a new clock whose entry for every node is the larger of its entries in `a` and `b`
 * (element-wise maximum; a missing entry counts as 0). Neither input is modified, and the result
 * is a new object even when it equals one of them.
 */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  throw new Error('TODO: implement merge');
}

/**
 * Says how `a` relates to `b`, comparing every node that appears in either clock (missing = 0):
 * - 'equal' when every entry is the same;
 * - 'before' when every entry of a is ≤ b's and at least one is smaller;
 * - 'after' when every entry of a is ≥ b's and at least one is larger;
 * - 'concurrent' otherwise (a is ahead somewhere and behind somewhere else).
 */
export function compare(a: VectorClock, b: VectorClock): Order {
  throw new Error('TODO: implement compare');
}
