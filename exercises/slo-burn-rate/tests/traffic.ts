// Seeded traffic of several shapes, as per-minute batches of (good, total) events.
import type { Batch } from './replay.ts';

export class Traffic {
  readonly batches: Batch[] = [];

  constructor(
    private readonly random: () => number,
    /** How many record calls a minute's events are split into: from 1 to this. */
    private readonly maxBatches = 1,
  ) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  /** One minute: `total` events of which `bad` are bad, split into a few batches. */
  minute(minute: number, bad: number, total: number): void {
    const last = this.batches.at(-1);
    if (last !== undefined && last[0] > minute) throw new Error(`traffic out of order: minute ${minute} after ${last[0]}`);
    let parts = this.maxBatches > 1 ? this.int(1, this.maxBatches) : 1;
    let restBad = bad;
    let restTotal = total;
    while (parts > 1 && restTotal > 0) {
      const t = this.int(0, restTotal);
      // As many bad events as fit: what is left after this batch must still fit in the rest.
      const b = this.int(Math.max(0, restBad - (restTotal - t)), Math.min(restBad, t));
      this.batches.push([minute, t - b, t]);
      restBad -= b;
      restTotal -= t;
      parts--;
    }
    this.batches.push([minute, restTotal - restBad, restTotal]);
  }

  /**
   * Minutes from..to: each with a total drawn from [lo, hi] and an error ratio of `errorRatio` on
   * average (bad = ⌊total × errorRatio + u⌋, u uniform in [0, 1)).
   */
  steady(from: number, to: number, events: readonly [lo: number, hi: number], errorRatio: number): void {
    for (let m = from; m <= to; m++) {
      const total = this.int(events[0], events[1]);
      this.minute(m, Math.min(total, Math.floor(total * errorRatio + this.random())), total);
    }
  }
}
