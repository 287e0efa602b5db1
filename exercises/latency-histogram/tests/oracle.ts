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

/**
 * The values recorded, sorted, with their running counts: the statement's rank — q = 0 → the
 * smallest, q = 1 → the largest, else the ceil(q × n)-th smallest — found by binary search, since
 * a check asks for up to ~100 quantiles of up to ~200 values.
 */
class ExactQuantiles {
  readonly values: number[];
  /** running[i]: the count of values[0..i], summed in order. */
  readonly running: number[];
  readonly total: number;

  constructor(sorted: ReadonlyArray<readonly [number, number]>) {
    this.values = sorted.map(([v]) => v);
    let seen = 0;
    this.running = sorted.map(([, c]) => (seen += c));
    this.total = seen;
  }

  get min(): number {
    return this.values[0]!;
  }

  get max(): number {
    return this.values[this.values.length - 1]!;
  }

  rank(q: number): number {
    return q === 0 ? 1 : q === 1 ? this.total : Math.max(1, Math.ceil(q * this.total));
  }

  at(q: number): number {
    if (q === 0) return this.min;
    if (q === 1) return this.max;
    const rank = this.rank(q);
    // The first value whose running count reaches the rank.
    let lo = 0;
    let hi = this.running.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.running[mid]! >= rank) hi = mid;
      else lo = mid + 1;
    }
    return lo < this.values.length ? this.values[lo]! : this.max;
  }
}

/** What valueAtQuantile(q) must answer, by the statement, given the learner's buckets. */
function expectedAnswer(h: Histogram, exactQuantiles: ExactQuantiles, q: number): { exact: number; expected: number } {
  const exact = exactQuantiles.at(q);
  if (q === 0 || q === 1) return { exact, expected: exact };
  const r = rangeOf(h, exact);
  return { exact, expected: Math.min(exactQuantiles.max, Math.max(exactQuantiles.min, (r.low + r.high) / 2)) };
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
  const exactQuantiles = new ExactQuantiles(sortedWeighted(values));
  const total = exactQuantiles.total;
  // if/fail rather than check(…, () => message): a property's run asks for up to ~100 quantiles,
  // and two message closures for each cost more than the learner's answers.
  for (const q of qs) {
    const rank = exactQuantiles.rank(q);
    const { exact, expected } = expectedAnswer(h, exactQuantiles, q);
    const answer = h.valueAtQuantile(q);
    const bound = o.relativeError * Math.max(exact, o.lowest);
    if (!(typeof answer === 'number' && Math.abs(answer - exact) <= bound * (1 + SLACK) + SLACK * o.lowest)) {
      fail(
        `${story()}: valueAtQuantile(${num(q)}) returned ${num(answer)}; the exact quantile (rank ${rank} of ${total}) is ${num(exact)}, ` +
          `so the answer must be within relativeError × max(value, lowest) = ${num(bound)} of it`,
      );
    }
    if (!near(answer, expected, o.lowest)) {
      const r = rangeOf(h, exact);
      fail(
        `${story()}: valueAtQuantile(${num(q)}) returned ${num(answer)}; expected ${num(expected)}: the exact quantile (rank ceil(q × count()) = ${rank} of ${total}) ` +
          `is ${num(exact)}, in your bucket [${num(r.low)}, ${num(r.high)}), whose midpoint is ${num((r.low + r.high) / 2)}` +
          (expected !== (r.low + r.high) / 2 ? `, kept within [min, max] = [${num(exactQuantiles.min)}, ${num(exactQuantiles.max)}]` : ''),
      );
    }
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
