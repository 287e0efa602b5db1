/**
 * Error budgets and the multiwindow, multi-burn-rate alerts of Google's SRE workbook ("Alerting on
 * SLOs"), computed from per-minute counts of good and total events.
 *
 * The counts of the last 30 days live in a ring of 43,200 minute slots; each window keeps a running
 * sum that gains the current minute and loses the minute that falls out of it as time moves on, so
 * record and evaluate cost O(1) per minute that passes, and memory never grows with the traffic.
 */

/** The windows the alerts read, by name. */
export type BurnWindow = '5m' | '30m' | '1h' | '6h' | '3d';

export interface AlertState {
  /** Page: 1 h and 5 min both burning at 14.4 or more, or 6 h and 30 min both at 6 or more. */
  page: boolean;
  /** Ticket: 3 days and 6 h both burning at 1 or more. */
  ticket: boolean;
  /** 1 − the 30-day burn rate: the fraction of the 30-day error budget left (negative once overspent). */
  budgetRemaining: number;
  /** Each window's burn rate: its error ratio divided by 1 − slo (0 for a window without events). */
  burnRates: Record<BurnWindow, number>;
}

export interface BurnRateOptions {
  /** The objective, a fraction strictly between 0 and 1 (0.999 is 99.9% of events good). */
  slo: number;
  /** The minimum-traffic guard: a window with fewer events never alerts. 100 when omitted. */
  minEvents?: number;
}

const WINDOWS: ReadonlyArray<readonly [BurnWindow, number]> = [
  ['5m', 5],
  ['30m', 30],
  ['1h', 60],
  ['6h', 360],
  ['3d', 4320],
];
/** The error budget's period, 30 days of minutes: the longest window, so the ring's size. */
const BUDGET_MINUTES = 43_200;
/** 1 − 0.999 is 0.0010000000000000009 in floating point: a burn rate this close to a threshold reaches it. */
const TOLERANCE = 1e-9;

interface Sum {
  readonly minutes: number;
  bad: number;
  total: number;
}

export class BurnRateAlerter {
  readonly #errorBudget: number;
  readonly #minEvents: number;
  readonly #bad = new Float64Array(BUDGET_MINUTES);
  readonly #total = new Float64Array(BUDGET_MINUTES);
  /** One running sum per window, the 30-day budget last. */
  readonly #sums: Sum[] = [...WINDOWS.map(([, minutes]) => minutes), BUDGET_MINUTES].map((minutes) => ({ minutes, bad: 0, total: 0 }));
  /** The latest minute given to record or evaluate; undefined before the first call. */
  #now: number | undefined;

  constructor(options: BurnRateOptions) {
    const { slo, minEvents = 100 } = options;
    if (!(Number.isFinite(slo) && slo > 0 && slo < 1)) throw new RangeError(`slo must be a fraction strictly between 0 and 1, got ${slo}`);
    if (!(Number.isSafeInteger(minEvents) && minEvents >= 0)) throw new RangeError(`minEvents must be a non-negative integer, got ${minEvents}`);
    this.#errorBudget = 1 - slo;
    this.#minEvents = minEvents;
  }

  /** Adds `good` good events out of `total` to minute `minute`; several calls for one minute add up. */
  record(minute: number, good: number, total: number): void {
    this.#checkMinute(minute);
    if (!(Number.isSafeInteger(total) && total >= 0)) throw new RangeError(`total must be a non-negative integer, got ${total}`);
    if (!(Number.isSafeInteger(good) && good >= 0 && good <= total)) throw new RangeError(`good must be an integer from 0 to total (${total}), got ${good}`);
    this.#advance(minute);
    const slot = minute % BUDGET_MINUTES;
    this.#bad[slot]! += total - good;
    this.#total[slot]! += total;
    for (const sum of this.#sums) {
      sum.bad += total - good;
      sum.total += total;
    }
  }

  /** The alerts as of the end of what was recorded for `minute`, each window ending with `minute`. */
  evaluate(minute: number): AlertState {
    this.#checkMinute(minute);
    this.#advance(minute);
    const burnRates = {} as Record<BurnWindow, number>;
    const reaches = {} as Record<BurnWindow, (threshold: number) => boolean>;
    WINDOWS.forEach(([name], i) => {
      const sum = this.#sums[i]!;
      const rate = this.#burnRate(sum);
      burnRates[name] = rate;
      reaches[name] = (threshold) => sum.total >= this.#minEvents && rate >= threshold - TOLERANCE;
    });
    const page = (reaches['1h'](14.4) && reaches['5m'](14.4)) || (reaches['6h'](6) && reaches['30m'](6));
    const ticket = reaches['3d'](1) && reaches['6h'](1);
    const budgetRemaining = 1 - this.#burnRate(this.#sums[WINDOWS.length]!);
    return { page, ticket, budgetRemaining, burnRates };
  }

  #burnRate(sum: Sum): number {
    return sum.total === 0 ? 0 : sum.bad / sum.total / this.#errorBudget;
  }

  #checkMinute(minute: number): void {
    if (!(Number.isSafeInteger(minute) && minute >= 0)) throw new RangeError(`minute must be a non-negative integer, got ${minute}`);
    if (this.#now !== undefined && minute < this.#now) {
      throw new RangeError(`minute ${minute} is before minute ${this.#now}, already seen: minutes must not go backwards`);
    }
  }

  /** Moves the windows on to end at `minute`: each loses the minutes that fall out of it. */
  #advance(minute: number): void {
    const from = this.#now;
    this.#now = minute;
    if (from === undefined || from === minute) return;
    if (minute - from >= BUDGET_MINUTES) {
      // A pause longer than 30 days: nothing recorded before it is in any window any more.
      this.#bad.fill(0);
      this.#total.fill(0);
      for (const sum of this.#sums) sum.bad = sum.total = 0;
      return;
    }
    for (let t = from + 1; t <= minute; t++) {
      for (const sum of this.#sums) {
        // Minute t − L leaves a window of L minutes when minute t enters it.
        const leaving = (t - sum.minutes) % BUDGET_MINUTES;
        if (t - sum.minutes < 0) continue;
        sum.bad -= this.#bad[leaving]!;
        sum.total -= this.#total[leaving]!;
      }
      const slot = t % BUDGET_MINUTES;
      this.#bad[slot] = 0;
      this.#total[slot] = 0;
    }
  }
}
