// mistake: callWithDeadline awaits work to the end: work that ignores the signal keeps the caller waiting past the deadline
// expect: even if work ignores the signal
/** The reason a deadline's signal aborts when its time is up. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';

  constructor(message = 'deadline exceeded') {
    super(message);
  }
}

/** Throws a RangeError unless `ms` is a finite number of milliseconds, 0 or more. */
function checkMs(ms: number, what: string): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${what} must be a finite number of milliseconds >= 0, got ${String(ms)}`);
  }
}

/** grpc-timeout: 1 to 8 digits, then a unit. */
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const MAX_DIGITS = 99_999_999;

/**
 * A request deadline: the point in time by which the answer is needed, and an AbortSignal that
 * aborts at that point (with a DeadlineExceededError) or when the parent signal aborts (with the
 * parent's reason), whichever comes first.
 */
export class Deadline {
  private constructor(
    /** When the deadline passes, on the Date.now() clock. */
    private readonly expiresAt: number,
    readonly signal: AbortSignal,
  ) {}

  /** A deadline `ms` milliseconds from now, aborted with `parent` too. */
  static after(ms: number, parent?: AbortSignal): Deadline {
    checkMs(ms, 'Deadline.after(ms)');
    const controller = new AbortController();
    const deadline = new Deadline(Date.now() + ms, controller.signal);
    if (parent?.aborted) {
      controller.abort(parent.reason);
      return deadline;
    }
    if (ms === 0) {
      controller.abort(new DeadlineExceededError('deadline exceeded: no time was left'));
      return deadline;
    }
    const onParentAbort = () => {
      clearTimeout(timer);
      controller.abort(parent!.reason);
    };
    const timer = setTimeout(() => {
      parent?.removeEventListener('abort', onParentAbort);
      controller.abort(new DeadlineExceededError(`deadline exceeded after ${ms} ms`));
    }, ms);
    parent?.addEventListener('abort', onParentAbort, { once: true });
    return deadline;
  }

  /** The deadline a `grpc-timeout` header value gives (e.g. '850m', '2S'), aborted with `parent` too. */
  static fromHeader(value: string, parent?: AbortSignal): Deadline {
    const match = typeof value === 'string' ? GRPC_TIMEOUT.exec(value) : null;
    if (!match) throw new RangeError(`not a grpc-timeout value: ${JSON.stringify(value)}`);
    return Deadline.after(Number(match[1]) * UNIT_MS[match[2]!]!, parent);
  }

  /** Milliseconds left until the deadline, never negative. */
  remaining(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  /** A sub-deadline for one downstream call: min(remaining, budgetMs), aborted with this one. */
  child(budgetMs?: number): Deadline {
    if (budgetMs !== undefined) checkMs(budgetMs, 'child(budgetMs)');
    return Deadline.after(Math.min(this.remaining(), budgetMs ?? Infinity), this.signal);
  }

  /** The time remaining as a grpc-timeout value: whole milliseconds ('850m'), or seconds past 8 digits. */
  toHeader(): string {
    const ms = Math.floor(this.remaining());
    return ms <= MAX_DIGITS ? `${ms}m` : `${Math.floor(ms / 1000)}S`;
  }
}

/**
 * Runs `work(signal)` under `deadline`: settles as work does if it finishes first, and rejects with
 * `deadline.signal.reason` as soon as the deadline's signal aborts, even if work ignores the signal.
 * Work is not called at all when the signal is already aborted.
 */
export function callWithDeadline<T>(deadline: Deadline, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal } = deadline;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const done = () => {};
    let result: Promise<T>;
    try {
      result = Promise.resolve(work(signal));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
