/**
 * A log-linear latency histogram in the style of HdrHistogram: every power of two above `lowest`
 * is cut into the same number of equal sub-buckets, so a bucket's width grows with its values and
 * the relative error stays bounded while the bucket count grows only with the logarithm of the range.
 */

export interface HistogramOptions {
  /** The smallest value the relative error is promised for; positive and finite. */
  lowest: number;
  /** The highest value that can be recorded; finite and greater than `lowest`. */
  highest: number;
  /** The promised relative error, greater than 0 and less than 1 (0.01 is 1 %). */
  relativeError: number;
}

/** A bucket holds the values v with low ≤ v < high. */
export interface BucketRange {
  low: number;
  high: number;
}

export class LatencyHistogram {
  readonly #lowest: number;
  readonly #highest: number;
  readonly #relativeError: number;
  /** Sub-buckets per power of two (and linear buckets below `lowest`): a power of two ≥ 1 / (2ε). */
  readonly #perOctave: number;
  /** Float64Array, not Uint32Array: counts stay exact up to Number.MAX_SAFE_INTEGER. */
  readonly #counts: Float64Array;
  /** Buckets from 0 up to the one holding highest. */
  #size: number;
  #total = 0;
  #min = Infinity;
  #max = -Infinity;

  constructor(options: HistogramOptions) {
    const { lowest, highest, relativeError } = options;
    if (!Number.isFinite(lowest) || lowest <= 0) throw new RangeError(`lowest must be a positive finite number, got ${lowest}`);
    if (!Number.isFinite(highest) || highest <= lowest) throw new RangeError(`highest must be finite and greater than lowest (${lowest}), got ${highest}`);
    if (!(relativeError > 0 && relativeError < 1)) throw new RangeError(`relativeError must be greater than 0 and less than 1, got ${relativeError}`);
    this.#lowest = lowest;
    this.#highest = highest;
    this.#relativeError = relativeError;
    // A bucket [2^g·L·(1 + j/S), …) is 2^g·L/S wide, at most 1/S of its low end: 1/S ≤ 2ε keeps the
    // midpoint within ε of every value in it.
    this.#perOctave = 2 ** Math.max(0, Math.ceil(Math.log2(1 / (2 * relativeError))));
    // Enough powers of two to pass highest, then only the buckets up to the one holding it.
    let octaves = Math.max(1, Math.floor(Math.log2(highest / lowest)) + 1);
    while (this.#lowOf(this.#perOctave * (octaves + 1)) <= highest) octaves++;
    this.#size = this.#perOctave * (octaves + 1);
    this.#size = this.#indexOf(highest) + 1;
    this.#counts = new Float64Array(this.#size);
  }

  /** Records `value` `count` times (a positive integer, 1 when omitted). */
  record(value: number, count = 1): void {
    this.#checkValue(value);
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    this.#add(value, count);
  }

  /**
   * Records `value`, then the samples a load generator that waits for each answer failed to send
   * while it waited: value − k × expectedInterval for k = 1, 2, … while that is ≥ expectedInterval.
   */
  recordCorrected(value: number, expectedInterval: number): void {
    this.#checkValue(value);
    if (!Number.isFinite(expectedInterval) || expectedInterval < 0) {
      throw new RangeError(`expectedInterval must be a finite number ≥ 0, got ${expectedInterval}`);
    }
    this.#add(value, 1);
    if (expectedInterval === 0) return;
    for (let missing = value - expectedInterval; missing >= expectedInterval; missing -= expectedInterval) {
      this.#add(missing, 1);
    }
  }

  /** Adds `other`'s counts into this histogram (same options required); `other` is left as it was. */
  merge(other: LatencyHistogram): void {
    if (other.#lowest !== this.#lowest || other.#highest !== this.#highest || other.#relativeError !== this.#relativeError) {
      throw new RangeError('merge needs two histograms made with the same lowest, highest and relativeError');
    }
    for (let i = 0; i < this.#size; i++) this.#counts[i]! += other.#counts[i]!;
    this.#total += other.#total;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  /**
   * The value at quantile q: min() for q = 0, max() for q = 1; otherwise the midpoint of the bucket
   * holding the smallest recorded value v with at least ceil(q × count()) values ≤ v, kept within
   * [min(), max()]. NaN when the histogram is empty.
   */
  valueAtQuantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be between 0 and 1, got ${q}`);
    if (this.#total === 0) return Number.NaN;
    if (q === 0) return this.#min;
    if (q === 1) return this.#max;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#size; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) {
        const middle = (this.#lowOf(i) + this.#lowOf(i + 1)) / 2;
        return Math.min(this.#max, Math.max(this.#min, middle));
      }
    }
    return this.#max;
  }

  count(): number {
    return this.#total;
  }

  /** The smallest value recorded, exactly; NaN when empty. */
  min(): number {
    return this.#total === 0 ? Number.NaN : this.#min;
  }

  /** The largest value recorded, exactly; NaN when empty. */
  max(): number {
    return this.#total === 0 ? Number.NaN : this.#max;
  }

  /** The bucket `value` falls in (0 ≤ value ≤ highest). */
  bucketRange(value: number): BucketRange {
    this.#checkValue(value);
    const index = this.#indexOf(value);
    return { low: this.#lowOf(index), high: this.#lowOf(index + 1) };
  }

  /** How many buckets cover [0, highest]: the memory the histogram needs. */
  bucketCount(): number {
    return this.#size;
  }

  #checkValue(value: number): void {
    if (!(value >= 0 && value <= this.#highest)) {
      throw new RangeError(`value must be between 0 and highest (${this.#highest}), got ${value}`);
    }
  }

  #add(value: number, count: number): void {
    this.#counts[this.#indexOf(value)]! += count;
    this.#total += count;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Where bucket `index` starts. Below lowest, S linear buckets; then S per power of two. */
  #lowOf(index: number): number {
    const perOctave = this.#perOctave;
    if (index < perOctave) return (index / perOctave) * this.#lowest;
    const octave = Math.floor(index / perOctave) - 1;
    const sub = index % perOctave;
    return this.#lowest * 2 ** octave * ((perOctave + sub) / perOctave);
  }

  #indexOf(value: number): number {
    const perOctave = this.#perOctave;
    let index: number;
    if (value < this.#lowest) {
      index = Math.floor((value / this.#lowest) * perOctave);
    } else {
      const octave = Math.floor(Math.log2(value / this.#lowest));
      const sub = Math.floor((value / (this.#lowest * 2 ** octave) - 1) * perOctave);
      index = perOctave * (octave + 1) + sub;
    }
    // The guess is computed in floating point; settle it against the boundaries #lowOf returns, so
    // that a value equal to a bucket's low end always lands in that bucket.
    const last = this.#size - 1;
    index = Math.min(last, Math.max(0, index));
    while (index > 0 && value < this.#lowOf(index)) index--;
    while (index < last && value >= this.#lowOf(index + 1)) index++;
    return index;
  }
}
