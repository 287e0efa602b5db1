// mistake: a window's error ratio is the average of its minutes' error ratios instead of its bad events over all its events, so a quiet minute weighs as much as a busy one
// expect: weighs
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
  readonly #minutes = new Map<number, { bad: number; total: number }>();
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
    for (const m of this.#minutes.keys()) {
      if (m > minute - 43_200) break;
      this.#minutes.delete(m);
    }
  }

  record(minute: number, good: number, total: number): void {
    if (!Number.isSafeInteger(minute) || minute < 0 || minute < this.#latest) throw new RangeError('minute');
    if (!Number.isSafeInteger(total) || !Number.isSafeInteger(good) || good < 0 || good > total) throw new RangeError('counts');
    this.#time(minute);
    const counts = this.#minutes.get(minute) ?? { bad: 0, total: 0 };
    counts.bad += total - good;
    counts.total += total;
    this.#minutes.set(minute, counts);
  }

  /** The mean of the per-minute error ratios over the minutes with events, and the events in all. */
  #window(now: number, minutes: number): { ratio: number; total: number } {
    let ratios = 0;
    let counted = 0;
    let total = 0;
    for (const [m, c] of this.#minutes) {
      if (m <= now - minutes || c.total === 0) continue;
      ratios += c.bad / c.total;
      counted++;
      total += c.total;
    }
    return { ratio: counted === 0 ? 0 : ratios / counted, total };
  }

  evaluate(minute: number): AlertState {
    this.#time(minute);
    const burnRates = {} as Record<BurnWindow, number>;
    const ok = {} as Record<BurnWindow, (t: number) => boolean>;
    for (const [name, minutes] of Object.entries(WINDOWS) as Array<[BurnWindow, number]>) {
      const { ratio, total } = this.#window(minute, minutes);
      const rate = ratio / this.#budget;
      burnRates[name] = rate;
      ok[name] = (t) => total >= this.#minEvents && rate >= t - 1e-9;
    }
    const month = this.#window(minute, 43_200);
    return {
      page: (ok['1h'](14.4) && ok['5m'](14.4)) || (ok['6h'](6) && ok['30m'](6)),
      ticket: ok['3d'](1) && ok['6h'](1),
      budgetRemaining: 1 - month.ratio / this.#budget,
      burnRates,
    };
  }
}
