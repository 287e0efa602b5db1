// mistake: a linear layout as fine as the error bound needs at lowest (2 × relativeError × lowest wide):
// from 1 µs to 1 hour at 1 % that is 180 billion buckets, far beyond the memory bound
// expect: buckets
export interface HistogramOptions {
  lowest: number;
  highest: number;
  relativeError: number;
}

export interface BucketRange {
  low: number;
  high: number;
}

/** Equal-width buckets, kept in a Map so that only the buckets used take memory. */
export class LatencyHistogram {
  readonly #options: HistogramOptions;
  readonly #width: number;
  readonly #counts = new Map<number, number>();
  #total = 0;
  #min = Infinity;
  #max = -Infinity;

  constructor(options: HistogramOptions) {
    const { lowest, highest, relativeError } = options;
    if (!Number.isFinite(lowest) || lowest <= 0) throw new RangeError('bad lowest');
    if (!Number.isFinite(highest) || highest <= lowest) throw new RangeError('bad highest');
    if (!(relativeError > 0 && relativeError < 1)) throw new RangeError('bad relativeError');
    this.#options = { lowest, highest, relativeError };
    // As fine as the error bound needs at the smallest values.
    this.#width = 2 * relativeError * lowest;
  }

  record(value: number, count = 1): void {
    this.#check(value);
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError('bad count');
    this.#add(value, count);
  }

  recordCorrected(value: number, expectedInterval: number): void {
    this.#check(value);
    if (!Number.isFinite(expectedInterval) || expectedInterval < 0) throw new RangeError('bad interval');
    this.#add(value, 1);
    if (expectedInterval === 0) return;
    for (let m = value - expectedInterval; m >= expectedInterval; m -= expectedInterval) this.#add(m, 1);
  }

  merge(other: LatencyHistogram): void {
    const [a, b] = [this.#options, other.#options];
    if (a.lowest !== b.lowest || a.highest !== b.highest || a.relativeError !== b.relativeError) throw new RangeError('different options');
    for (const [i, c] of other.#counts) this.#counts.set(i, (this.#counts.get(i) ?? 0) + c);
    this.#total += other.#total;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  valueAtQuantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError('bad q');
    if (this.#total === 0) return Number.NaN;
    if (q === 0) return this.#min;
    if (q === 1) return this.#max;
    const rank = Math.ceil(q * this.#total);
    let seen = 0;
    for (const i of [...this.#counts.keys()].sort((x, y) => x - y)) {
      seen += this.#counts.get(i)!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, (i + 0.5) * this.#width));
    }
    return this.#max;
  }

  count(): number {
    return this.#total;
  }

  min(): number {
    return this.#total === 0 ? Number.NaN : this.#min;
  }

  max(): number {
    return this.#total === 0 ? Number.NaN : this.#max;
  }

  bucketRange(value: number): BucketRange {
    this.#check(value);
    const i = this.#index(value);
    return { low: i * this.#width, high: (i + 1) * this.#width };
  }

  bucketCount(): number {
    return this.#index(this.#options.highest) + 1;
  }

  #check(value: number): void {
    if (!(value >= 0 && value <= this.#options.highest)) throw new RangeError('value out of range');
  }

  #index(value: number): number {
    let i = Math.floor(value / this.#width);
    while (i > 0 && value < i * this.#width) i--;
    while (value >= (i + 1) * this.#width) i++;
    return i;
  }

  #add(value: number, count: number): void {
    const i = this.#index(value);
    this.#counts.set(i, (this.#counts.get(i) ?? 0) + count);
    this.#total += count;
    this.#min = Math.min(this.#min, value);
    this.#max = Math.max(this.#max, value);
  }
}
