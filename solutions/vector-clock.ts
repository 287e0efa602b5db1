/**
 * Vector clocks (Understanding Distributed Systems, chapter 8 "Time", section "Vector clocks").
 * A clock maps each node's name to the number of events that node has seen; a missing entry is 0.
 */

export type VectorClock = Readonly<Record<string, number>>;
export type Order = 'before' | 'after' | 'equal' | 'concurrent';

/** The clock's entry for `node`, 0 when the clock has none. */
function entry(clock: VectorClock, node: string): number {
  return Object.hasOwn(clock, node) ? clock[node]! : 0;
}

/** A new clock where `node`'s entry is one more than in `clock`; every other entry is unchanged. */
export function increment(clock: VectorClock, node: string): VectorClock {
  return { ...clock, [node]: entry(clock, node) + 1 };
}

/** A new clock holding, for every node in either clock, the larger of its two entries. */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  const result: Record<string, number> = { ...a };
  for (const node of Object.keys(b)) {
    // defineProperty, not `result[node] =`: a node named "__proto__" must become an entry.
    Object.defineProperty(result, node, { value: Math.max(entry(a, node), entry(b, node)), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/**
 * How `a` relates to `b`: 'before' when every entry of a is ≤ b's and at least one is smaller,
 * 'after' for the mirror case, 'equal' when all entries match, 'concurrent' otherwise.
 */
export function compare(a: VectorClock, b: VectorClock): Order {
  let aSmaller = false; // some entry of a is below b's
  let aLarger = false; // some entry of a is above b's
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = entry(a, node);
    const y = entry(b, node);
    if (x < y) aSmaller = true;
    else if (x > y) aLarger = true;
  }
  if (aSmaller && aLarger) return 'concurrent';
  if (aSmaller) return 'before';
  if (aLarger) return 'after';
  return 'equal';
}
