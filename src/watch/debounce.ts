/**
 * Debouncing, pure: editors save in bursts (write a temp file, rename it over the old one, touch
 * it again), so one save is acted on once, after the burst has been quiet for a moment. The
 * scheduler is injected, so the logic is tested without waiting.
 */

export interface Scheduler {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Debouncer {
  private handle: unknown;
  private armed = false;

  constructor(
    private readonly fire: () => void,
    private readonly quietMs: number,
    private readonly scheduler: Scheduler = realScheduler,
  ) {}

  /** Something happened: fire once things have been quiet for quietMs. */
  trigger(): void {
    if (this.armed) this.scheduler.clear(this.handle);
    this.armed = true;
    this.handle = this.scheduler.set(() => {
      this.armed = false;
      this.fire();
    }, this.quietMs);
  }

  get pending(): boolean {
    return this.armed;
  }

  cancel(): void {
    if (this.armed) this.scheduler.clear(this.handle);
    this.armed = false;
  }
}
