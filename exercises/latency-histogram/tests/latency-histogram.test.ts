// The hidden suite of latency-histogram: one test per rule of the statement. The layout is the
// learner's own: every check reads their buckets through bucketRange() and holds them to the
// statement (contiguous, narrow enough, few enough), then judges answers against an exact oracle.
import fc from 'fast-check';
import { test } from 'vitest';
import { check, describeThrown, fail, figure, holds } from 'learn-ds/harness';
import { LatencyHistogram, type HistogramOptions } from 'learn-ds/subject/latency-histogram';
import {
  MICROS,
  MILLIS,
  boundaryQuantiles,
  bucketLimit,
  checkQuantiles,
  checkSummary,
  describeOptions,
  num,
  rangeOf,
  walkBuckets,
  type Histogram,
  type Weighted,
} from './oracle.ts';

function make(options: HistogramOptions): Histogram {
  try {
    return new LatencyHistogram({ ...options });
  } catch (error) {
    fail(`new LatencyHistogram(${describeOptions(options)}) threw ${describeThrown(error)}; expected a histogram`);
  }
}

function recordAll(h: Histogram, values: Weighted): void {
  for (const [value, count] of values) {
    if (count === 1) h.record(value);
    else h.record(value, count);
  }
}

function expectRangeError(run: () => unknown, what: string, after?: () => void): void {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof RangeError || (error instanceof Error && error.name === 'RangeError')) {
      after?.();
      return;
    }
    fail(`${what} threw ${describeThrown(error)}; expected a RangeError`);
  }
  fail(`${what} returned ${result instanceof LatencyHistogram ? 'a histogram' : num(result)} without throwing; expected a RangeError`);
}

/** The smallest number above x (x positive and finite). */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

/** Values far enough apart (×1.5) that no bucket of a correct layout holds two of them. */
function spread(n: number, from = 10): number[] {
  return Array.from({ length: n }, (_, i) => from * 1.5 ** i);
}

test('the constructor throws a RangeError for options outside the contract, and accepts their edges', () => {
  const bad: Array<[string, HistogramOptions]> = [
    ['lowest 0', { ...MICROS, lowest: 0 }],
    ['lowest -1', { ...MICROS, lowest: -1 }],
    ['lowest NaN', { ...MICROS, lowest: Number.NaN }],
    ['lowest Infinity', { ...MICROS, lowest: Infinity }],
    ['highest equal to lowest', { lowest: 2.5, highest: 2.5, relativeError: 0.01 }],
    ['highest below lowest', { lowest: 2.5, highest: 2.4, relativeError: 0.01 }],
    ['highest Infinity', { ...MICROS, highest: Infinity }],
    ['highest NaN', { ...MICROS, highest: Number.NaN }],
    ['relativeError 0', { ...MICROS, relativeError: 0 }],
    ['relativeError 1', { ...MICROS, relativeError: 1 }],
    ['relativeError -0.01', { ...MICROS, relativeError: -0.01 }],
    ['relativeError 1.5', { ...MICROS, relativeError: 1.5 }],
    ['relativeError NaN', { ...MICROS, relativeError: Number.NaN }],
  ];
  for (const [what, options] of bad) expectRangeError(() => new LatencyHistogram(options), `new LatencyHistogram(${describeOptions(options)}) (${what})`);
  for (const options of [
    { lowest: 2.5, highest: 2.5000001, relativeError: 0.01 },
    { lowest: 1, highest: 1000, relativeError: 0.999 },
    { lowest: 0.001, highest: 10, relativeError: 0.0001 },
  ]) {
    const h = make(options);
    walkBuckets(h, options);
  }
});

const LAYOUTS: HistogramOptions[] = [
  MICROS,
  MILLIS,
  { lowest: 1, highest: 1_000_000, relativeError: 0.05 },
  { lowest: 1, highest: 3_600_000_000, relativeError: 0.001 },
  { lowest: 0.5, highest: 1000, relativeError: 0.25 },
  { lowest: 2, highest: 2 ** 20, relativeError: 0.03125 },
  { lowest: 3, highest: 3.0001, relativeError: 0.1 },
];

test('bucketRange: buckets run from 0 past highest with no gap, each holds its own low end and is at most 2 × relativeError × max(low, lowest) wide', () => {
  for (const options of LAYOUTS) {
    const h = make(options);
    const buckets = walkBuckets(h, options);
    // Every bucket's low end lands in that very bucket, seen from the inside too (if/fail: no message
    // closure for each of ~11,000 buckets).
    for (let i = 0; i < buckets.count; i++) {
      const b = { low: buckets.low(i), high: buckets.high(i) };
      const inside = Math.min(options.highest, b.low + (b.high - b.low) / 3);
      const r = rangeOf(h, inside);
      if (r.low !== b.low || r.high !== b.high) {
        fail(`bucketRange(${num(inside)}) returned [${num(r.low)}, ${num(r.high)}), but bucketRange(${num(b.low)}) returned [${num(b.low)}, ${num(b.high)}), which holds ${num(inside)}; expected one bucket for both`);
      }
    }
  }
});

test('bucketCount() is the number of buckets covering [0, highest], at most (log2(highest / lowest) + 2) / relativeError (1 µs to 1 hour at 1 %: 3374)', () => {
  for (const options of LAYOUTS) {
    const h = make(options);
    const buckets = walkBuckets(h, options);
    const count = h.bucketCount();
    const limit = bucketLimit(options);
    if (options === MICROS) figure('buckets for 1 µs to 1 hour at 1 %', buckets.count, { limit });
    check(
      count === buckets.count,
      () => `with ${describeOptions(options)}, bucketCount() returned ${num(count)}, but bucketRange() shows ${buckets.count} buckets from 0 up to the one holding highest; expected the two to agree`,
    );
    check(
      count <= limit,
      () => `with ${describeOptions(options)}, bucketCount() returned ${count}; expected at most (log2(highest / lowest) + 2) / relativeError = ${limit} buckets`,
    );
  }
});

test('an empty histogram: count() is 0, and min(), max() and valueAtQuantile(q) are NaN', () => {
  const h = make(MICROS);
  const answers = { count: h.count(), min: h.min(), max: h.max(), q0: h.valueAtQuantile(0), q05: h.valueAtQuantile(0.5), q1: h.valueAtQuantile(1) };
  check(answers.count === 0, () => `count() of an empty histogram returned ${num(answers.count)}; expected 0`);
  for (const [name, value] of [['min()', answers.min], ['max()', answers.max], ['valueAtQuantile(0)', answers.q0], ['valueAtQuantile(0.5)', answers.q05], ['valueAtQuantile(1)', answers.q1]] as const) {
    check(Number.isNaN(value), () => `${name} of an empty histogram returned ${num(value)}; expected NaN: an empty histogram has no values`);
  }
});

test('count(), min() and max() are exact: the values recorded, counts included, not bucket bounds', () => {
  for (const options of [MICROS, MILLIS]) {
    const h = make(options);
    const a = options.lowest * 1234.567;
    const b = options.lowest * 0.3;
    const c = options.lowest * 98_765.4321;
    const values: Array<[number, number]> = [];
    for (const [value, count] of [[a, 1], [b, 3], [c, 2], [a, 10]] as const) {
      values.push([value, count]);
      recordAll(h, [[value, count]]);
      checkSummary(h, values, () => `with ${describeOptions(options)}, after recording ${values.map(([v, n]) => (n === 1 ? num(v) : `${num(v)} ×${n}`)).join(', ')}`);
    }
  }
});

test('valueAtQuantile(0) is exactly min() and valueAtQuantile(1) exactly max()', () => {
  for (const options of [MICROS, MILLIS]) {
    const h = make(options);
    const values = [options.lowest * 777.7, options.lowest * 3.3, options.lowest * 123_456.7];
    for (const v of values) h.record(v);
    const [q0, q1] = [h.valueAtQuantile(0), h.valueAtQuantile(1)];
    check(q0 === Math.min(...values), () => `with ${describeOptions(options)}, after recording ${values.map(num).join(', ')}, valueAtQuantile(0) returned ${num(q0)}; expected ${num(Math.min(...values))}, exactly min()`);
    check(q1 === Math.max(...values), () => `with ${describeOptions(options)}, after recording ${values.map(num).join(', ')}, valueAtQuantile(1) returned ${num(q1)}; expected ${num(Math.max(...values))}, exactly max()`);
  }
});

test('ranks: valueAtQuantile(q) answers for the ceil(q × count())-th smallest value, at each rank boundary k/n, just past it and halfway', () => {
  for (const n of [1, 2, 3, 7, 10, 40]) {
    const h = make(MICROS);
    // Recorded out of order: largest first, then the rest.
    const values = spread(n);
    const order = [...values].reverse();
    for (const v of order) h.record(v);
    checkQuantiles(h, MICROS, values.map((v) => [v, 1] as const), boundaryQuantiles(n), () => `after recording ${n} values, ${values.slice(0, 4).map(num).join(', ')}${n > 4 ? ', … (×1.5 each)' : ''}`);
  }
  const h = make(MICROS);
  const values = spread(50, 2);
  for (const v of values) h.record(v);
  checkQuantiles(h, MICROS, values.map((v) => [v, 1] as const), [0.5, 0.9, 0.99, 0.999, 0.25, 0.1, 1e-9, 1 - 1e-9], () => 'after recording 50 values 2, 3, 4.5, … (×1.5 each)');
});

test('valueAtQuantile answers the midpoint of the bucket holding the exact quantile, kept within [min(), max()]', () => {
  for (const options of [MICROS, MILLIS]) {
    const h = make(options);
    const r = rangeOf(h, options.lowest * 5000);
    // The exact quantile sits at the very low end of its bucket: the midpoint is half a bucket away.
    const values: Weighted = [[options.lowest * 10, 1], [r.low, 2], [options.lowest * 900_000, 1]];
    recordAll(h, values);
    checkQuantiles(h, options, values, [0.25, 0.5, 0.75, 1e-9, 0.999], () => `with ${describeOptions(options)}, after recording ${num(options.lowest * 10)}, ${num(r.low)} ×2 and ${num(options.lowest * 900_000)}`);
  }
  // One value, or all equal: the midpoint is kept within [min, max], so the answer is that value.
  for (const v of [7.3, 1e6 + 0.5, 3_600_000_000]) {
    const h = make(MICROS);
    h.record(v, 3);
    for (const q of [0.01, 0.5, 0.99]) {
      const answer = h.valueAtQuantile(q);
      check(answer === v, () => `after recording ${num(v)} 3 times (and nothing else), valueAtQuantile(${q}) returned ${num(answer)}; expected ${num(v)}: the bucket's midpoint is kept within [min(), max()] = [${num(v)}, ${num(v)}]`);
    }
  }
});

test("values at bucket boundaries: a bucket's low end is counted in that bucket, its high end in the next one", () => {
  for (const options of [MICROS, MILLIS, { lowest: 0.5, highest: 1000, relativeError: 0.25 }]) {
    const h = make(options);
    for (const at of [options.lowest * 0.5, options.lowest, options.lowest * 64, options.lowest * 300, options.highest / 10]) {
      const r = rangeOf(h, at);
      const next = rangeOf(h, r.high);
      check(next.low === r.high, () => `bucketRange(${num(r.high)}) returned [${num(next.low)}, ${num(next.high)}); expected a bucket starting at ${num(r.high)}, the high end of [${num(r.low)}, ${num(r.high)})`);
      const fresh = make(options);
      const values: Weighted = [[0, 1], [r.low, 1], [r.high, 1], [options.highest, 1]];
      recordAll(fresh, values);
      checkQuantiles(fresh, options, values, [0.5, 0.75], () => `with ${describeOptions(options)}, after recording 0, ${num(r.low)} and ${num(r.high)} (the two ends of your bucket [${num(r.low)}, ${num(r.high)})) and highest`);
    }
  }
});

test('zero is recorded like any value, and answered within relativeError × lowest', () => {
  for (const options of [MICROS, MILLIS]) {
    const h = make(options);
    const values: Weighted = [[0, 3], [options.lowest * 0.004, 1], [options.lowest * 0.5, 1], [options.lowest * 40, 2]];
    recordAll(h, values);
    checkSummary(h, values, () => `with ${describeOptions(options)}, after recording 0 ×3, ${num(options.lowest * 0.004)}, ${num(options.lowest * 0.5)} and ${num(options.lowest * 40)} ×2`);
    checkQuantiles(h, options, values, boundaryQuantiles(7), () => `with ${describeOptions(options)}, after recording 0 ×3, ${num(options.lowest * 0.004)}, ${num(options.lowest * 0.5)} and ${num(options.lowest * 40)} ×2`);
  }
  const zeros = make(MICROS);
  zeros.record(0, 5);
  for (const q of [0, 0.3, 1]) {
    const answer = zeros.valueAtQuantile(q);
    check(answer === 0, () => `after recording 0 five times (and nothing else), valueAtQuantile(${q}) returned ${num(answer)}; expected exactly 0`);
  }
});

test('highest can be recorded; a value above highest, negative, NaN or infinite throws a RangeError and records nothing', () => {
  for (const options of [MICROS, MILLIS, { lowest: 0.5, highest: 1000.25, relativeError: 0.25 }]) {
    const h = make(options);
    h.record(options.highest);
    h.record(options.lowest * 3);
    const story = () => `with ${describeOptions(options)}, after recording highest (${num(options.highest)}) and ${num(options.lowest * 3)}`;
    const values: Weighted = [[options.highest, 1], [options.lowest * 3, 1]];
    checkSummary(h, values, story);
    checkQuantiles(h, options, values, [0.5, 0.75], story);
    const above = nextUp(options.highest);
    for (const bad of [above, options.highest * 2, -options.lowest, -Number.MIN_VALUE, Number.NaN, Infinity, -Infinity]) {
      expectRangeError(() => h.record(bad), `${story()}, record(${num(bad)})`, () => checkSummary(h, values, () => `${story()}, then a record(${num(bad)}) that threw`));
      expectRangeError(() => h.record(bad, 4), `${story()}, record(${num(bad)}, 4)`, () => checkSummary(h, values, () => `${story()}, then a record(${num(bad)}, 4) that threw`));
      expectRangeError(() => h.recordCorrected(bad, options.lowest), `${story()}, recordCorrected(${num(bad)}, ${num(options.lowest)})`, () => checkSummary(h, values, () => `${story()}, then a recordCorrected(${num(bad)}, …) that threw`));
      expectRangeError(() => h.bucketRange(bad), `bucketRange(${num(bad)}) with highest ${num(options.highest)}`);
    }
  }
});

test('record(value, count): count must be a positive integer; 0, negative, fractional, NaN and infinite counts throw a RangeError and record nothing', () => {
  const h = make(MICROS);
  h.record(50, 2);
  const values: Weighted = [[50, 2]];
  for (const bad of [0, -1, 1.5, 0.999, Number.NaN, Infinity, 2 ** 53]) {
    expectRangeError(() => h.record(500, bad), `record(500, ${num(bad)})`, () => checkSummary(h, values, () => `after record(50, 2) and a record(500, ${num(bad)}) that threw`));
  }
  h.record(500, 1);
  checkSummary(h, [[50, 2], [500, 1]], () => 'after record(50, 2) and record(500, 1)');
});

test('large counts: counts beyond 2^32 stay exact (a 32-bit counter wraps around)', () => {
  const h = make(MICROS);
  const big = 2 ** 32 + 3;
  const bigger = 2 ** 40;
  const values: Weighted = [[5, big], [700_000, bigger], [3_000_000_000, 7]];
  recordAll(h, values);
  const story = () => `after record(5, 2^32 + 3), record(700000, 2^40) and record(3000000000, 7)`;
  checkSummary(h, values, story);
  checkQuantiles(h, MICROS, values, [0.001, 0.0039, 0.004, 0.5, 1 - 1e-12, 0.999999999999999], story);
  const again = make(MICROS);
  again.record(1, Number.MAX_SAFE_INTEGER - 10);
  again.record(2, 10);
  check(again.count() === Number.MAX_SAFE_INTEGER, () => `after record(1, 2^53 - 11) and record(2, 10), count() returned ${num(again.count())}; expected ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER)`);
});

test('merge: the merge of two histograms answers exactly as one histogram of all their values (not an average of their quantiles)', () => {
  // Two nodes: one fast, one slow with a tail. The p99 of all requests is not the average of the two p99s.
  const fast: Array<[number, number]> = [[800, 500], [1_200, 480], [2_000, 20]];
  const slow: Array<[number, number]> = [[900, 400], [40_000, 80], [250_000, 20]];
  const qs = [0.5, 0.9, 0.95, 0.99, 0.999, ...boundaryQuantiles(2000, 97)];
  const a = make(MICROS);
  const b = make(MICROS);
  recordAll(a, fast);
  recordAll(b, slow);
  a.merge(b);
  const union = [...fast, ...slow];
  const story = () => 'node A recorded 800 ×500, 1200 ×480, 2000 ×20; node B recorded 900 ×400, 40000 ×80, 250000 ×20; after a.merge(b)';
  checkSummary(a, union, story);
  checkQuantiles(a, MICROS, union, qs, story);
  const whole = make(MICROS);
  recordAll(whole, union);
  for (const q of qs) {
    const [merged, direct] = [a.valueAtQuantile(q), whole.valueAtQuantile(q)];
    check(merged === direct, () => `${story()}, valueAtQuantile(${num(q)}) returned ${num(merged)}, but one histogram that recorded all the values answers ${num(direct)}; expected the same answer`);
  }
  // A bucket only the other histogram has, and one only this one has, both survive the merge.
  const left = make(MILLIS);
  const right = make(MILLIS);
  const lv: Weighted = [[0.0042, 1], [3.5, 2]];
  const rv: Weighted = [[0.25, 3], [3.5, 1], [1_800_000, 1]];
  recordAll(left, lv);
  recordAll(right, rv);
  left.merge(right);
  const both = [...lv, ...rv];
  const story2 = () => `with ${describeOptions(MILLIS)}, one histogram recorded 0.0042 and 3.5 ×2, another 0.25 ×3, 3.5 and 1800000; after merging the second into the first`;
  checkSummary(left, both, story2);
  checkQuantiles(left, MILLIS, both, boundaryQuantiles(8), story2);
});

test('merge leaves the other histogram unchanged and throws a RangeError for histograms with different options', () => {
  const a = make(MICROS);
  const b = make(MICROS);
  a.record(10);
  b.record(20, 2);
  b.record(3_000);
  a.merge(b);
  const bv: Weighted = [[20, 2], [3_000, 1]];
  checkSummary(b, bv, () => 'b recorded 20 ×2 and 3000; after a.merge(b), b');
  checkQuantiles(b, MICROS, bv, boundaryQuantiles(3), () => 'b recorded 20 ×2 and 3000; after a.merge(b), b');
  for (const other of [{ ...MICROS, relativeError: 0.02 }, { ...MICROS, lowest: 2 }, { ...MICROS, highest: 1_000_000 }]) {
    const c = make(other);
    c.record(10);
    expectRangeError(() => a.merge(c), `a.merge(c), a made with ${describeOptions(MICROS)} and c with ${describeOptions(other)}`, () =>
      checkSummary(a, [[10, 1], [20, 2], [3_000, 1]], () => 'after a.merge(c) threw, a'),
    );
  }
});

test('merge of empty histograms: empty into empty stays empty, empty into full changes nothing, full into empty copies it', () => {
  const e1 = make(MICROS);
  const e2 = make(MICROS);
  e1.merge(e2);
  const [c, lo, hi, q] = [e1.count(), e1.min(), e1.max(), e1.valueAtQuantile(0.5)];
  check(c === 0 && Number.isNaN(lo) && Number.isNaN(hi) && Number.isNaN(q), () => `after merging an empty histogram into an empty one, count() = ${num(c)}, min() = ${num(lo)}, max() = ${num(hi)}, valueAtQuantile(0.5) = ${num(q)}; expected 0, NaN, NaN, NaN`);
  const values: Weighted = [[15, 2], [4_000, 1], [0.5, 1]];
  const full = make(MICROS);
  recordAll(full, values);
  full.merge(make(MICROS));
  checkSummary(full, values, () => 'a histogram of 15 ×2, 4000 and 0.5, after merging an empty one into it');
  checkQuantiles(full, MICROS, values, boundaryQuantiles(4), () => 'a histogram of 15 ×2, 4000 and 0.5, after merging an empty one into it');
  const empty = make(MICROS);
  empty.merge(full);
  checkSummary(empty, values, () => 'an empty histogram, after merging one of 15 ×2, 4000 and 0.5 into it');
  checkQuantiles(empty, MICROS, values, boundaryQuantiles(4), () => 'an empty histogram, after merging one of 15 ×2, 4000 and 0.5 into it');
});

test('recordCorrected(value, expectedInterval) also records value − k × expectedInterval for k = 1, 2, … while that is ≥ expectedInterval', () => {
  const cases: Array<[value: number, interval: number, recorded: number[]]> = [
    [100, 30, [100, 70, 40]],
    [100, 25, [100, 75, 50, 25]], // 25 is exactly expectedInterval: still recorded
    [60, 30, [60, 30]],
    [30, 30, [30]],
    [20, 30, [20]],
    [10.5, 2.5, [10.5, 8, 5.5, 3]],
    [0.75, 0.125, [0.75, 0.625, 0.5, 0.375, 0.25, 0.125]],
    [5_000, 0, [5_000]],
    [0, 10, [0]],
  ];
  for (const [value, interval, recorded] of cases) {
    const h = make(MICROS);
    h.record(1_000_000); // a value above them all, so that min and max do not hide their buckets
    h.recordCorrected(value, interval);
    const values: Weighted = [[1_000_000, 1], ...recorded.map((v) => [v, 1] as const)];
    const story = () => `after record(1000000) and recordCorrected(${num(value)}, ${num(interval)}) (which should record ${recorded.map(num).join(', ')})`;
    checkSummary(h, values, story);
    checkQuantiles(h, MICROS, values, boundaryQuantiles(values.length), story);
  }
  // The classic picture: one request every 10 ms, and one of them stalls for 1 s.
  const h = make(MICROS);
  for (let i = 0; i < 99; i++) h.recordCorrected(1_000, 10_000);
  h.recordCorrected(1_000_000, 10_000);
  const values: Weighted = [[1_000, 99], ...Array.from({ length: 100 }, (_, k) => [1_000_000 - k * 10_000, 1] as const)];
  checkSummary(h, values, () => 'after 99 × recordCorrected(1000, 10000) and recordCorrected(1000000, 10000)');
  checkQuantiles(h, MICROS, values, [0.25, 0.5, 0.75, 0.9, 0.99], () => 'after 99 × recordCorrected(1000, 10000) and recordCorrected(1000000, 10000)');
});

test('recordCorrected: a negative, NaN or infinite expectedInterval throws a RangeError and records nothing', () => {
  const h = make(MICROS);
  h.record(40);
  for (const bad of [-1, -0.5, Number.NaN, Infinity, -Infinity]) {
    expectRangeError(() => h.recordCorrected(100, bad), `recordCorrected(100, ${num(bad)})`, () =>
      checkSummary(h, [[40, 1]], () => `after record(40) and a recordCorrected(100, ${num(bad)}) that threw`),
    );
  }
});

test('valueAtQuantile(q) throws a RangeError for q below 0, above 1, or NaN', () => {
  const h = make(MICROS);
  h.record(10);
  for (const bad of [-0.01, -Number.MIN_VALUE, 1 + Number.EPSILON, 1.5, 99, Number.NaN]) {
    expectRangeError(() => h.valueAtQuantile(bad), `valueAtQuantile(${num(bad)})`);
  }
});

/** How a shape turns uniform draws u ∈ [0, 1) into latencies, in units of lowest. */
const SHAPES: Record<string, (u: number, i: number, first: number) => number> = {
  // Uniform between 1× and 100 000× lowest.
  uniform: (u) => 1 + u * 99_999,
  // Two modes: a fast path around 200× lowest and a slow path around 80 000× lowest.
  bimodal: (u, i) => (i % 3 === 0 ? 80_000 * (0.8 + 0.4 * u) : 200 * (0.9 + 0.2 * u)),
  // Pareto with α = 1.2 from 100× lowest: most values small, a few huge.
  'heavy tail': (u) => Math.min(3_000_000, 100 / (1 - u) ** (1 / 1.2)),
  // Every value the same.
  'all equal': (_u, _i, first) => 1 + first * 5_000,
  // Below lowest, zero included: the linear part of the layout.
  'below lowest': (u, i) => (i % 4 === 0 ? 0 : u),
};

const dataArb = fc.record({
  draws: fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 200 }),
  parts: fc.integer({ min: 1, max: 3 }),
  extraQs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
});

for (const options of [MICROS, MILLIS]) {
  for (const [shape, toValue] of Object.entries(SHAPES)) {
    test(`on ${shape} data (${options === MICROS ? 'µs' : 'ms, fractional values'}), merged from parts: count, exact min and max, and every quantile match a sorted-array oracle within relativeError`, async () => {
      await holds(
        fc.property(dataArb, ({ draws, parts, extraQs }) => {
          const first = draws[0]![0];
          const values: Array<[number, number]> = draws.map(([u, count], i) => [Math.min(options.highest, toValue(u, i, first) * options.lowest), count]);
          const pieces = Array.from({ length: parts }, () => make(options));
          values.forEach(([v, c], i) => recordAll(pieces[i % parts]!, [[v, c]]));
          const h = pieces[0]!;
          for (const piece of pieces.slice(1)) h.merge(piece);
          const total = values.reduce((s, [, c]) => s + c, 0);
          const story = () => `${values.length} ${shape} values recorded into ${parts} histogram${parts > 1 ? 's' : ''}${parts > 1 ? ', merged into the first' : ''}`;
          checkSummary(h, values, story);
          checkQuantiles(h, options, values, [...boundaryQuantiles(total, Math.max(1, Math.floor(total / 25))), 0.5, 0.9, 0.99, 0.999, ...extraQs], story);
        }),
        {
          numRuns: 40,
          describe: ([{ draws, parts }]) => `${parts} part(s); (value in units of lowest, count): ${draws.slice(0, 12).map(([u, c], i) => `(${num(toValue(u, i, draws[0]![0]))}, ${c})`).join(', ')}${draws.length > 12 ? ', …' : ''}`,
        },
      );
    });
  }
}
