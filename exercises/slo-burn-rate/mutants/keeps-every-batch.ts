// mistake: keeps every batch it is given, forever, and sums the windows by scanning back from the newest: right answers, memory that grows without bound
// expect: memory
export type BurnWindow = '5m' | '30m' | '1h' | '6h' | '3d';

export interface AlertState {
  page: boolean;
  ticket: boolean;
  budgetRemaining: number;
  burnRates: Record<BurnWindow, number>;
}

export interface BurnRateOptions {
  slo: number;
  minEvents?: number;
}

const WINDOWS: Record<BurnWindow, number> = { '5m': 5, '30m': 30, '1h': 60, '6h': 360, '3d': 4320 };

export class BurnRateAlerter {
  readonly #budget: number;
  readonly #minEvents: number;
  readonly #batches: Array<{ minute: number; bad: number; total: number }> = [];
  #latest = -Infinity;

  constructor(options: BurnRateOptions) {
    const { slo, minEvents = 100 } = options;
    if (!(slo > 0 && slo < 1)) throw new RangeError('slo');
    if (!(Number.isInteger(minEvents) && minEvents >= 0)) throw new RangeError('minEvents');
    this.#budget = 1 - slo;
    this.#minEvents = minEvents;
  }

  #time(minute: number): void {
    if (!Number.isSafeInteger(minute) || minute < 0 || minute < this.#latest) throw new RangeError('minute');
    this.#latest = minute;
  }

  record(minute: number, good: number, total: number): void {
    if (!Number.isSafeInteger(minute) || minute < 0 || minute < this.#latest) throw new RangeError('minute');
    if (!Number.isSafeInteger(total) || !Number.isSafeInteger(good) || good < 0 || good > total) throw new RangeError('counts');
    this.#time(minute);
    this.#batches.push({ minute, bad: total - good, total });
  }

  #sum(now: number, minutes: number): { bad: number; total: number } {
    let bad = 0;
    let total = 0;
    for (let i = this.#batches.length - 1; i >= 0 && this.#batches[i]!.minute > now - minutes; i--) {
      bad += this.#batches[i]!.bad;
      total += this.#batches[i]!.total;
    }
    return { bad, total };
  }

  evaluate(minute: number): AlertState {
    this.#time(minute);
    const burnRates = {} as Record<BurnWindow, number>;
    const ok = {} as Record<BurnWindow, (t: number) => boolean>;
    for (const [name, minutes] of Object.entries(WINDOWS) as Array<[BurnWindow, number]>) {
      const { bad, total } = this.#sum(minute, minutes);
      const rate = total === 0 ? 0 : bad / total / this.#budget;
      burnRates[name] = rate;
      ok[name] = (t) => total >= this.#minEvents && rate >= t - 1e-9;
    }
    const month = this.#sum(minute, 43_200);
    return {
      page: (ok['1h'](14.4) && ok['5m'](14.4)) || (ok['6h'](6) && ok['30m'](6)),
      ticket: ok['3d'](1) && ok['6h'](1),
      budgetRemaining: month.total === 0 ? 1 : 1 - month.bad / month.total / this.#budget,
      burnRates,
    };
  }
}
