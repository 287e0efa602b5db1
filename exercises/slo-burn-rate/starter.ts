/** The windows the alerts read, by name: 5 minutes, 30 minutes, 1 hour, 6 hours and 3 days. */
export type BurnWindow = '5m' | '30m' | '1h' | '6h' | '3d';

/** What `evaluate` answers. */
export interface AlertState {
  /** 1 h and 5 min both reach 14.4, or 6 h and 30 min both reach 6. */
  page: boolean;
  /** 3 days and 6 h both reach 1. */
  ticket: boolean;
  /** 1 − the burn rate of the last 30 days (43,200 minutes); 1 without events, negative once overspent. */
  budgetRemaining: number;
  /** Each window's burn rate: bad events / all events in it, divided by 1 − slo (0 without events). */
  burnRates: Record<BurnWindow, number>;
}

export interface BurnRateOptions {
  /** The objective as a fraction strictly between 0 and 1, e.g. 0.999. */
  slo: number;
  /** The minimum-traffic guard: a window with fewer events cannot alert. 100 when omitted. */
  minEvents?: number;
}

/**
 * Multiwindow, multi-burn-rate alerts on an SLO, from per-minute counts of good and total events.
 * Memory stays bounded by the 30-day window, however long the stream.
 */
export class BurnRateAlerter {
  /** Throws a RangeError for an slo outside (0, 1) or a minEvents that is not an integer, 0 or more. */
  constructor(options: BurnRateOptions) {
    void options;
    throw new Error('TODO: validate the options and set up the per-minute counts');
  }

  /**
   * Adds `total` events to minute `minute`, `good` of them good; several calls for one minute add up.
   * Throws a RangeError (and records nothing) for a minute before the latest one seen, or counts that are not integers with 0 ≤ good ≤ total.
   */
  record(minute: number, good: number, total: number): void {
    void [minute, good, total];
    throw new Error('TODO: move the windows on to `minute`, then add the events');
  }

  /** The alerts, with every window ending at `minute` (included). Throws a RangeError for a minute before the latest one seen. */
  evaluate(minute: number): AlertState {
    void minute;
    throw new Error('TODO: sum each window, compute its burn rate, and apply the rules');
  }
}
