/** The options of a histogram: the range it tracks and the relative error it promises. */
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

/** A log-linear latency histogram: a bounded relative error, few buckets, mergeable. */
export class LatencyHistogram {
  /** Throws a RangeError for options outside the contract. */
  constructor(options: HistogramOptions) {
    throw new Error('TODO: write the constructor');
  }

  /** Records `value` (0 ≤ value ≤ highest) `count` times (a positive integer, 1 when omitted). */
  record(value: number, count = 1): void {
    throw new Error('TODO: write record');
  }

  /**
   * Records `value`, then value − k × expectedInterval for k = 1, 2, … as long as that is
   * ≥ expectedInterval (the requests a waiting load generator failed to send).
   */
  recordCorrected(value: number, expectedInterval: number): void {
    throw new Error('TODO: write recordCorrected');
  }

  /** Adds `other`'s counts into this histogram; `other` is left unchanged. */
  merge(other: LatencyHistogram): void {
    throw new Error('TODO: write merge');
  }

  /** min() for q = 0, max() for q = 1, else the midpoint of the bucket holding the ceil(q × count())-th smallest value, kept within [min(), max()]. */
  valueAtQuantile(q: number): number {
    throw new Error('TODO: write valueAtQuantile');
  }

  /** How many values were recorded, counts included. */
  count(): number {
    throw new Error('TODO: write count');
  }

  /** The smallest value recorded, exactly; NaN when empty. */
  min(): number {
    throw new Error('TODO: write min');
  }

  /** The largest value recorded, exactly; NaN when empty. */
  max(): number {
    throw new Error('TODO: write max');
  }

  /** The bucket that holds `value` (0 ≤ value ≤ highest). */
  bucketRange(value: number): BucketRange {
    throw new Error('TODO: write bucketRange');
  }

  /** How many buckets cover [0, highest]: from the one holding 0 to the one holding highest. */
  bucketCount(): number {
    throw new Error('TODO: write bucketCount');
  }
}
