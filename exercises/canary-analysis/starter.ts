/**
 * Canary analysis: compares a canary's latencies and errors with those of a baseline that ran at
 * the same time, metric by metric, and drives a rollout 1% → 10% → 50% → 100% that rolls back as
 * soon as one metric fails.
 */

export type Verdict = 'pass' | 'fail' | 'wait';

/** What one side (the baseline or the canary) served during a window. */
export interface Side {
  /** The latency of each successful request, in milliseconds (fractions allowed). */
  latenciesMs: readonly number[];
  /** How many requests failed. */
  errors: number;
}

export interface Window {
  baseline: Side;
  canary: Side;
}

export interface CanaryOptions {
  /** The fewest samples each side needs before a metric is judged (default 50). */
  minSamples?: number;
  /** The one-sided critical value of z (default 1.6448536269514722, the 5% level). */
  zCritical?: number;
  /** The largest relative rise of the median latency that is still acceptable (default 0.05). */
  maxLatencyIncrease?: number;
  /** The largest rise of the error rate, in absolute terms, still acceptable (default 0.01). */
  maxErrorRateIncrease?: number;
}

export interface LatencyResult {
  verdict: Verdict;
  /** The canary's U: pairs (canary, baseline) where the canary is slower, plus half the ties. */
  u: number;
  z: number;
  baselineMedian: number;
  canaryMedian: number;
}

export interface ErrorResult {
  verdict: Verdict;
  z: number;
  baselineRate: number;
  canaryRate: number;
}

export interface Analysis {
  latency: LatencyResult;
  errors: ErrorResult;
  verdict: Verdict;
}

export interface RolloutOptions extends CanaryOptions {
  /** Passing analyses a stage needs before the rollout moves on (default 3). */
  passesPerStage?: number;
}

export type RolloutState = 'running' | 'complete' | 'rolled-back';

export interface Step {
  /** The overall verdict of this observation's analysis. */
  verdict: Verdict;
  /** The canary's share of traffic after the decision: 1, 10, 50 or 100, and 0 after a rollback. */
  percent: number;
  state: RolloutState;
}

/**
 * Judges one window: the latency metric (Mann–Whitney U, one-sided), the error metric (pooled
 * two-proportion z, one-sided), each 'wait' below `minSamples`, and the overall verdict (any
 * 'fail' → 'fail'; otherwise any 'wait' → 'wait'; otherwise 'pass'). Leaves `window` unchanged.
 */
export function analyze(window: Window, options: CanaryOptions = {}): Analysis {
  void window;
  void options;
  throw new Error('TODO: judge latency and errors, then combine the verdicts');
}

/** A rollout 1% → 10% → 50% → 100% that advances on passing analyses and rolls back on a failing one. */
export class Rollout {
  /** `passesPerStage` defaults to 3; the other options are `analyze`'s. */
  constructor(options: RolloutOptions = {}) {
    void options;
    throw new Error('TODO: start at 1%, running, with no samples held');
  }

  /** The canary's share of traffic: 1, 10, 50 or 100, and 0 after a rollback. */
  get percent(): number {
    throw new Error('TODO: the current percent');
  }

  get state(): RolloutState {
    throw new Error('TODO: running, complete or rolled-back');
  }

  /**
   * Adds the window to the samples held since the last decision, analyses them, and decides:
   * fail → roll back; wait → keep the samples, stay; pass → drop the samples, count a pass, and
   * advance after `passesPerStage` of them. Throws once the rollout is complete or rolled back.
   */
  observe(window: Window): Step {
    void window;
    throw new Error('TODO: analyse the held samples and decide');
  }
}
