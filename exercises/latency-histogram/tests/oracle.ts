/**
 * What the checks compare the learner's histogram with: the exact quantile of the values recorded
 * (a sorted array), the answer the statement pins (the midpoint of the learner's own bucket holding
 * that value, kept within [min, max]) and the error bound, plus a walk over the learner's layout.
 */
import { check, fail } from 'learn-ds/harness';
import { LatencyHistogram, type BucketRange, type HistogramOptions } from 'learn-ds/subject/latency-histogram';

export type Histogram = InstanceType<typeof LatencyHistogram>;

/** 1 µs to 1 hour at 1 %, in microseconds: the statement's example. */
export const MICROS: HistogramOptions = { lowest: 1, highest: 3_600_000_000, relativeError: 0.01 };
/** The same range in milliseconds: every value below 1 ms is fractional. */
export const MILLIS: HistogramOptions = { lowest: 0.001, highest: 3_600_000, relativeError: 0.01 };

/** Floating-point slack when two correct implementations compute the same midpoint differently. */
const SLACK = 1e-9;

/** A number as a learner would type it, with enough digits to see a bucket's edge. */
export function num(value: unknown): string {
  if (typeof value !== 'number') return value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(12)));
}

export function describeOptions(o: HistogramOptions): string {
  return `{ lowest: ${num(o.lowest)}, highest: ${num(o.highest)}, relativeError: ${num(o.relativeError)} }`;
}

/** The statement's limit on bucketCount(): (log2(highest / lowest) + 2) / relativeError. */
export function bucketLimit(o: HistogramOptions): number {
  return Math.floor((Math.log2(o.highest / o.lowest) + 2) / o.relativeError);
}

export function near(actual: number, expected: number, scale: number): boolean {
  return Math.abs(actual - expected) <= SLACK * Math.max(Math.abs(expected), scale);
}

/** The learner's bucketRange, its answer checked for shape. */
export function rangeOf(h: Histogram, value: number): BucketRange {
  let range: unknown;
  try {
    range = h.bucketRange(value);
  } catch (error) {
    fail(`bucketRange(${num(value)}) threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}; expected the bucket holding ${num(value)}`);
  }
  const r = range as Partial<BucketRange> | null;
  if (typeof r !== 'object' || r === null || typeof r.low !== 'number' || typeof r.high !== 'number') {
    fail(`bucketRange(${num(value)}) returned ${num(range)}; expected an object { low, high } of two numbers`);
  }
  // if/fail rather than check(…, () => …): a walk calls this for each of up to ~50,000 buckets, and a
  // message closure per call cost more than the learner's bucketRange.
  if (!(r.low <= value && value < r.high)) {
    fail(`bucketRange(${num(value)}) returned { low: ${num(r.low)}, high: ${num(r.high)} }, which does not hold ${num(value)}; expected low ≤ ${num(value)} < high`);
  }
  return { low: r.low, high: r.high };
}

/**
 * The learner's buckets in order, as a walk found them: bucket i is [low(i), high(i)), each starting
 * where the one before ends. Kept as numbers in one growing Float64Array, not as an object per
 * bucket: a walk keeps up to ~150,000 of them, and objects that live that long cost the collector
 * more than the learner's bucketRange.
 */
export class Layout {
  #lows = new Float64Array(1024);
  #end = 0;
  count = 0;

  low(i: number): number {
    return this.#lows[i]!;
  }

  high(i: number): number {
    return i + 1 < this.count ? this.#lows[i + 1]! : this.#end;
  }

  /** Appends the bucket [low, high); `low` is the previous bucket's high end (the walk checks it). */
  push(low: number, high: number): void {
    if (this.count === this.#lows.length) {
      const grown = new Float64Array(this.#lows.length * 2);
      grown.set(this.#lows);
      this.#lows = grown;
    }
    this.#lows[this.count++] = low;
    this.#end = high;
  }
}

/**
 * Walks the learner's buckets from 0 until one holds `highest`, checking that they follow each
 * other without gaps and are narrow enough; gives up past the statement's limit.
 */
export function walkBuckets(h: Histogram, o: HistogramOptions): Layout {
  const limit = bucketLimit(o);
  const buckets = new Layout();
  let range = rangeOf(h, 0);
  check(range.low === 0, () => `bucketRange(0) returned { low: ${num(range.low)}, high: ${num(range.high)} }; expected the first bucket to start at 0`);
  // Each rule as if/fail, not check(…, () => …): no message closure for each of up to ~50,000 buckets.
  for (;;) {
    buckets.push(range.low, range.high);
    const width = range.high - range.low;
    const allowed = 2 * o.relativeError * Math.max(range.low, o.lowest);
    if (!(width <= allowed * (1 + SLACK))) {
      fail(
        `with ${describeOptions(o)}, the bucket [${num(range.low)}, ${num(range.high)}) is ${num(width)} wide; expected at most ` +
          `2 × relativeError × max(low, lowest) = ${num(allowed)}: its midpoint would be more than relativeError (${num(o.relativeError)}) away from ${num(range.low)}`,
      );
    }
    if (range.high > o.highest) return buckets;
    if (buckets.count >= limit) {
      fail(
        `with ${describeOptions(o)}, ${buckets.count} buckets cover only [0, ${num(range.high)}) and the layout goes on up to highest (${num(o.highest)}); ` +
          `expected at most (log2(highest / lowest) + 2) / relativeError = ${limit} buckets in all: a linear layout needs far too many`,
      );
    }
    const next = rangeOf(h, range.high);
    if (next.low !== range.high) {
      fail(
        `bucketRange(${num(range.high)}) returned { low: ${num(next.low)}, high: ${num(next.high)} }, right after the bucket [${num(range.low)}, ${num(range.high)}); ` +
          `expected the next bucket to start where that one ends, at ${num(range.high)} (a bucket's high end belongs to the next bucket, with no gap and no overlap)`,
      );
    }
    range = next;
  }
}

/** Values with their counts; sorted by value. */
export type Weighted = ReadonlyArray<readonly [value: number, count: number]>;

export function sortedWeighted(values: Weighted): Array<[number, number]> {
  return values.map(([v, c]) => [v, c] as [number, number]).sort((a, b) => a[0] - b[0]);
}

/** The statement's rank: q = 0 → the smallest, q = 1 → the largest, else the ceil(q × n)-th smallest. */
export function exactQuantile(sorted: ReadonlyArray<readonly [number, number]>, q: number): number {
  const total = sorted.reduce((sum, [, c]) => sum + c, 0);
  if (q === 0) return sorted[0]![0];
  if (q === 1) return sorted[sorted.length - 1]![0];
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1]![0];
}

/** What valueAtQuantile(q) must answer, by the statement, given the learner's buckets. */
export function expectedAnswer(h: Histogram, sorted: ReadonlyArray<readonly [number, number]>, q: number): { exact: number; expected: number } {
  const exact = exactQuantile(sorted, q);
  const min = sorted[0]![0];
  const max = sorted[sorted.length - 1]![0];
  if (q === 0 || q === 1) return { exact, expected: exact };
  const r = rangeOf(h, exact);
  return { exact, expected: Math.min(max, Math.max(min, (r.low + r.high) / 2)) };
}

/** The ranks the rules turn on: each boundary k/n, just past it and halfway to the next. */
export function boundaryQuantiles(total: number, every = 1): number[] {
  const qs = [0, 1];
  for (let k = 1; k < total; k += every) {
    qs.push(k / total, (k - 0.5) / total, Math.min(1, (k + 1e-6) / total));
  }
  return qs;
}

/**
 * Checks every quantile in `qs` against the statement: exactly the midpoint of the learner's bucket
 * holding the exact quantile (kept within [min, max]), and within the relative error of the exact value.
 */
export function checkQuantiles(h: Histogram, o: HistogramOptions, values: Weighted, qs: readonly number[], story: () => string): void {
  const sorted = sortedWeighted(values);
  const total = sorted.reduce((sum, [, c]) => sum + c, 0);
  for (const q of qs) {
    const rank = q === 0 ? 1 : q === 1 ? total : Math.max(1, Math.ceil(q * total));
    const { exact, expected } = expectedAnswer(h, sorted, q);
    const answer = h.valueAtQuantile(q);
    const bound = o.relativeError * Math.max(exact, o.lowest);
    check(
      typeof answer === 'number' && Math.abs(answer - exact) <= bound * (1 + SLACK) + SLACK * o.lowest,
      () =>
        `${story()}: valueAtQuantile(${num(q)}) returned ${num(answer)}; the exact quantile (rank ${rank} of ${total}) is ${num(exact)}, ` +
        `so the answer must be within relativeError × max(value, lowest) = ${num(bound)} of it`,
    );
    check(
      near(answer, expected, o.lowest),
      () => {
        const r = rangeOf(h, exact);
        return (
          `${story()}: valueAtQuantile(${num(q)}) returned ${num(answer)}; expected ${num(expected)}: the exact quantile (rank ceil(q × count()) = ${rank} of ${total}) ` +
          `is ${num(exact)}, in your bucket [${num(r.low)}, ${num(r.high)}), whose midpoint is ${num((r.low + r.high) / 2)}` +
          (expected !== (r.low + r.high) / 2 ? `, kept within [min, max] = [${num(sorted[0]![0])}, ${num(sorted[sorted.length - 1]![0])}]` : '')
        );
      },
    );
  }
}

/** count(), min() and max() against the values recorded. */
export function checkSummary(h: Histogram, values: Weighted, story: () => string): void {
  const total = values.reduce((sum, [, c]) => sum + c, 0);
  const min = Math.min(...values.map(([v]) => v));
  const max = Math.max(...values.map(([v]) => v));
  const [c, lo, hi] = [h.count(), h.min(), h.max()];
  check(c === total, () => `${story()}: count() returned ${num(c)}; expected ${total}`);
  check(lo === min, () => `${story()}: min() returned ${num(lo)}; expected ${num(min)}, the exact smallest value recorded (not a bucket's bound)`);
  check(hi === max, () => `${story()}: max() returned ${num(hi)}; expected ${num(max)}, the exact largest value recorded (not a bucket's bound)`);
}
