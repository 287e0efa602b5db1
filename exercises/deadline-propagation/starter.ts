/** The reason a deadline's signal aborts when its time is up. Its `name` is 'DeadlineExceededError'. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';

  constructor(message = 'deadline exceeded') {
    super(message);
  }
}

/**
 * A request deadline: the point in time by which the answer is needed, and an AbortSignal that
 * aborts at that point (with a DeadlineExceededError) or when the parent signal aborts (with the
 * parent's reason), whichever comes first. Deadlines are made with `Deadline.after`,
 * `Deadline.fromHeader` and `child`; the constructor is yours to shape.
 */
export class Deadline {
  private constructor(
    /** When the deadline passes, e.g. on the Date.now() clock. */
    private readonly expiresAt: number,
    /** Aborts when the deadline passes (reason: a DeadlineExceededError) or the parent aborts (its reason). */
    readonly signal: AbortSignal,
  ) {}

  /**
   * A deadline `ms` milliseconds from now, aborted with `parent` too. Throws a RangeError unless
   * `ms` is a finite number, 0 or more. With no time left (ms = 0, or `parent` already aborted),
   * its signal is aborted from the start.
   */
  static after(ms: number, parent?: AbortSignal): Deadline {
    throw new Error('TODO: implement Deadline.after (see README.md)');
  }

  /**
   * The deadline a `grpc-timeout` header value gives ('850m', '2S': 1 to 8 digits, then one of
   * H, M, S, m, u, n), aborted with `parent` too. Throws a RangeError for any other value.
   */
  static fromHeader(value: string, parent?: AbortSignal): Deadline {
    throw new Error('TODO: implement Deadline.fromHeader (see README.md)');
  }

  /** Milliseconds left until the deadline; 0 once it has passed, never negative. */
  remaining(): number {
    throw new Error('TODO: implement remaining (see README.md)');
  }

  /**
   * A sub-deadline for one downstream call: it gets min(remaining(), budgetMs) (all the time left
   * when budgetMs is omitted) and aborts with this deadline too, with the same reason. Throws a
   * RangeError unless budgetMs, when given, is a finite number, 0 or more.
   */
  child(budgetMs?: number): Deadline {
    throw new Error('TODO: implement child (see README.md)');
  }

  /**
   * The time remaining as a grpc-timeout value: whole milliseconds (rounded down) followed by 'm',
   * e.g. '850m'; past 99999999 ms, whole seconds followed by 'S'.
   */
  toHeader(): string {
    throw new Error('TODO: implement toHeader (see README.md)');
  }
}

/**
 * Runs `work` under `deadline`. If the deadline's signal is already aborted, rejects with its
 * reason without calling work. Otherwise calls `work(signal)` with a signal that aborts with the
 * deadline's, and settles as work does if work finishes first; if the deadline's signal aborts
 * first, rejects at once with `deadline.signal.reason`, even if work ignores the signal. Leaves no
 * timer and no listener behind once it has settled.
 */
export function callWithDeadline<T>(deadline: Deadline, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  throw new Error('TODO: implement callWithDeadline (see README.md)');
}
