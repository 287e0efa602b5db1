// An independent model of the statement, for the hidden suite: every batch kept (no memory bound),
// window sums by binary search over prefix sums, the rules written out as the statement words them.

export const WINDOWS = [
  { name: '5m', minutes: 5, label: '5-minute' },
  { name: '30m', minutes: 30, label: '30-minute' },
  { name: '1h', minutes: 60, label: '1-hour' },
  { name: '6h', minutes: 360, label: '6-hour' },
  { name: '3d', minutes: 4320, label: '3-day' },
] as const;

export type WindowName = (typeof WINDOWS)[number]['name'];

export const BUDGET_MINUTES = 43_200;
/** A burn rate this close under a threshold reaches it (the statement's floating-point allowance). */
export const THRESHOLD_SLACK = 1e-9;

export interface WindowView {
  readonly name: WindowName | '30d';
  readonly label: string;
  readonly minutes: number;
  readonly bad: number;
  readonly total: number;
  readonly burn: number;
  /** At least minEvents events: the window may alert. */
  readonly enough: boolean;
}

export interface Expected {
  readonly minEvents: number;
  readonly page: boolean;
  readonly ticket: boolean;
  readonly budgetRemaining: number;
  readonly burnRates: Readonly<Record<WindowName, number>>;
  /** The five alert windows, then the 30-day budget window. */
  readonly windows: readonly WindowView[];
}

export class Model {
  /** Distinct minutes recorded, increasing; prefix sums of bad and total events over them. */
  readonly #minutes: number[] = [];
  readonly #badBefore: number[] = [0];
  readonly #totalBefore: number[] = [0];

  constructor(
    readonly slo: number,
    readonly minEvents = 100,
  ) {}

  record(minute: number, good: number, total: number): void {
    const n = this.#minutes.length;
    if (n > 0 && this.#minutes[n - 1] === minute) {
      this.#badBefore[n]! += total - good;
      this.#totalBefore[n]! += total;
      return;
    }
    this.#minutes.push(minute);
    this.#badBefore.push(this.#badBefore[n]! + total - good);
    this.#totalBefore.push(this.#totalBefore[n]! + total);
  }

  /** Events in minutes first..last; the model is asked only about minutes at or after the last recorded one. */
  #since(first: number): { bad: number; total: number } {
    let lo = 0;
    let hi = this.#minutes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#minutes[mid]! < first) lo = mid + 1;
      else hi = mid;
    }
    const n = this.#minutes.length;
    return { bad: this.#badBefore[n]! - this.#badBefore[lo]!, total: this.#totalBefore[n]! - this.#totalBefore[lo]! };
  }

  #view(name: WindowName | '30d', label: string, minutes: number, now: number): WindowView {
    const { bad, total } = this.#since(now - minutes + 1);
    const burn = total === 0 ? 0 : bad / total / (1 - this.slo);
    return { name, label, minutes, bad, total, burn, enough: total >= this.minEvents };
  }

  at(now: number): Expected {
    const windows = [
      ...WINDOWS.map((w) => this.#view(w.name, w.label, w.minutes, now)),
      this.#view('30d', '30-day', BUDGET_MINUTES, now),
    ];
    const byName = Object.fromEntries(windows.map((w) => [w.name, w])) as Record<WindowName | '30d', WindowView>;
    const reaches = (name: WindowName, threshold: number) => byName[name].enough && byName[name].burn >= threshold - THRESHOLD_SLACK;
    const burnRates = Object.fromEntries(WINDOWS.map((w) => [w.name, byName[w.name].burn])) as Record<WindowName, number>;
    return {
      minEvents: this.minEvents,
      page: (reaches('1h', 14.4) && reaches('5m', 14.4)) || (reaches('6h', 6) && reaches('30m', 6)),
      ticket: reaches('3d', 1) && reaches('6h', 1),
      budgetRemaining: 1 - byName['30d'].burn,
      burnRates,
      windows,
    };
  }
}
