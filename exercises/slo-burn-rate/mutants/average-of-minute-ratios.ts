// mistake: a window's error ratio is the average of its minutes' error ratios instead of its bad events over all its events, so a quiet minute weighs as much as a busy one
// expect: weighs
export type BurnWindow = '5m' | '30m' | '1h' | '6h' | '3d';
export interface AlertState { page: boolean; ticket: boolean; budgetRemaining: number; burnRates: Record<BurnWindow, number> }
export interface BurnRateOptions { slo: number; minEvents?: number }

interface Bucket { minute: number; bad: number; total: number }

export class BurnRateAlerter {
  #budget: number;
  #min: number;
  #buckets: Bucket[] = [];
  #head = 0;
  #now: number | null = null;
  constructor(options: BurnRateOptions) {
    const slo = options.slo;
    const min = options.minEvents ?? 100;
    if (!Number.isFinite(slo) || slo <= 0 || slo >= 1) throw new RangeError(`slo ${slo}`);
    if (!Number.isSafeInteger(min) || min < 0) throw new RangeError(`minEvents ${min}`);
    this.#budget = 1 - slo;
    this.#min = min;
  }
  #tick(minute: number) {
    if (!Number.isSafeInteger(minute) || minute < 0 || (this.#now !== null && minute < this.#now)) throw new RangeError(`minute ${minute}`);
    this.#now = minute;
    while (this.#head < this.#buckets.length && this.#buckets[this.#head]!.minute <= minute - 43_200) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#buckets.length) { this.#buckets = this.#buckets.slice(this.#head); this.#head = 0; }
  }
  record(minute: number, good: number, total: number) {
    if (!Number.isSafeInteger(good) || !Number.isSafeInteger(total) || good < 0 || good > total) throw new RangeError('counts');
    this.#tick(minute);
    const last = this.#buckets.length > this.#head ? this.#buckets[this.#buckets.length - 1]! : undefined;
    if (last && last.minute === minute) { last.bad += total - good; last.total += total; }
    else this.#buckets.push({ minute, bad: total - good, total });
  }
  #sum(minute: number, length: number) {
    let ratios = 0, minutes = 0, total = 0;
    for (let i = this.#buckets.length - 1; i >= this.#head; i--) {
      const b = this.#buckets[i]!;
      if (b.minute < minute - length + 1) break;
      if (b.total === 0) continue;
      ratios += b.bad / b.total; minutes++; total += b.total;
    }
    return { total, burn: minutes === 0 ? 0 : ratios / minutes / this.#budget };
  }
  evaluate(minute: number): AlertState {
    this.#tick(minute);
    const w = { '5m': this.#sum(minute, 5), '30m': this.#sum(minute, 30), '1h': this.#sum(minute, 60), '6h': this.#sum(minute, 360), '3d': this.#sum(minute, 4320) };
    const ok = (k: BurnWindow, t: number) => w[k].total >= this.#min && w[k].burn + 1e-9 >= t;
    const month = this.#sum(minute, 43_200);
    return {
      page: (ok('1h', 14.4) && ok('5m', 14.4)) || (ok('6h', 6) && ok('30m', 6)),
      ticket: ok('3d', 1) && ok('6h', 1),
      budgetRemaining: 1 - month.burn,
      burnRates: { '5m': w['5m'].burn, '30m': w['30m'].burn, '1h': w['1h'].burn, '6h': w['6h'].burn, '3d': w['3d'].burn },
    };
  }
}
