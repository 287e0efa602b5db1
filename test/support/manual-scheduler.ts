// A scheduler driven by hand, so debouncing and polling are tested without waiting.
import type { Scheduler } from '../../src/watch/debounce.ts';

/** `advance(ms)` runs, in order, whatever falls due. */
export class ManualScheduler implements Scheduler {
  private now = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  set(fn: () => void, ms: number): number {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }

  get scheduled(): number {
    return this.timers.size;
  }
}
