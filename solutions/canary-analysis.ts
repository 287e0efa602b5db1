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

const DEFAULTS: Required<CanaryOptions> = {
  minSamples: 50,
  zCritical: 1.6448536269514722,
  maxLatencyIncrease: 0.05,
  maxErrorRateIncrease: 0.01,
};

const STAGES = [1, 10, 50, 100] as const;

/** The middle value, or the mean of the two middle values; `sorted` is ascending. */
function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Mann–Whitney U of the canary, with average ranks for ties, and its tie-corrected z. */
function mannWhitney(baseline: readonly number[], canary: readonly number[]): { u: number; z: number } {
  const m = canary.length;
  const n = baseline.length;
  const total = m + n;
  // Copies: the caller's arrays are theirs.
  const pooled = [...canary.map((v) => ({ v, canary: true })), ...baseline.map((v) => ({ v, canary: false }))];
  pooled.sort((a, b) => a.v - b.v);
  let canaryRanks = 0;
  let ties = 0;
  for (let i = 0; i < total; ) {
    let j = i;
    while (j + 1 < total && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const rank = (i + 1 + j + 1) / 2; // every tied value gets the average of the ranks it spans
    const t = j - i + 1;
    ties += t * t * t - t;
    for (let k = i; k <= j; k++) if (pooled[k]!.canary) canaryRanks += rank;
    i = j + 1;
  }
  const u = canaryRanks - (m * (m + 1)) / 2;
  const mean = (m * n) / 2;
  const variance = ((m * n) / 12) * (total + 1 - ties / (total * (total - 1)));
  if (!(variance > 0)) return { u, z: 0 };
  // One-sided (is the canary slower?), with the continuity correction.
  return { u, z: (u - mean - 0.5) / Math.sqrt(variance) };
}

function judgeLatency(baseline: readonly number[], canary: readonly number[], o: Required<CanaryOptions>): LatencyResult {
  if (baseline.length < o.minSamples || canary.length < o.minSamples || baseline.length === 0 || canary.length === 0) {
    return { verdict: 'wait', u: NaN, z: NaN, baselineMedian: NaN, canaryMedian: NaN };
  }
  const { u, z } = mannWhitney(baseline, canary);
  const baselineMedian = median([...baseline].sort((a, b) => a - b));
  const canaryMedian = median([...canary].sort((a, b) => a - b));
  const significant = z >= o.zCritical;
  const matters = canaryMedian > baselineMedian * (1 + o.maxLatencyIncrease);
  return { verdict: significant && matters ? 'fail' : 'pass', u, z, baselineMedian, canaryMedian };
}

function judgeErrors(baseline: Side, canary: Side, o: Required<CanaryOptions>): ErrorResult {
  const nb = baseline.latenciesMs.length + baseline.errors;
  const nc = canary.latenciesMs.length + canary.errors;
  if (nb < o.minSamples || nc < o.minSamples || nb === 0 || nc === 0) {
    return { verdict: 'wait', z: NaN, baselineRate: NaN, canaryRate: NaN };
  }
  const baselineRate = baseline.errors / nb;
  const canaryRate = canary.errors / nc;
  const pooled = (baseline.errors + canary.errors) / (nb + nc);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / nc));
  const z = se > 0 ? (canaryRate - baselineRate) / se : 0;
  const significant = z >= o.zCritical;
  const matters = canaryRate - baselineRate > o.maxErrorRateIncrease;
  return { verdict: significant && matters ? 'fail' : 'pass', z, baselineRate, canaryRate };
}

function overall(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('wait')) return 'wait';
  return 'pass';
}

/** Judges one window: each metric, then the whole (any fail fails, else any wait waits). */
export function analyze(window: Window, options: CanaryOptions = {}): Analysis {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const latency = judgeLatency(window.baseline.latenciesMs, window.canary.latenciesMs, o);
  const errors = judgeErrors(window.baseline, window.canary, o);
  return { latency, errors, verdict: overall([latency.verdict, errors.verdict]) };
}

/** Options left undefined take their defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A rollout 1% → 10% → 50% → 100% that advances on passing analyses and rolls back on a failing one. */
export class Rollout {
  readonly #options: CanaryOptions;
  readonly #passesPerStage: number;
  #stage = 0;
  #passes = 0;
  #state: RolloutState = 'running';
  // Samples held since the last decision: windows that ended in a wait add up.
  #baseline: Side = { latenciesMs: [], errors: 0 };
  #canary: Side = { latenciesMs: [], errors: 0 };

  constructor(options: RolloutOptions = {}) {
    const { passesPerStage, ...canary } = options;
    this.#options = canary;
    this.#passesPerStage = passesPerStage ?? 3;
  }

  get percent(): number {
    return this.#state === 'rolled-back' ? 0 : STAGES[this.#stage]!;
  }

  get state(): RolloutState {
    return this.#state;
  }

  observe(window: Window): Step {
    if (this.#state !== 'running') throw new Error(`the rollout is ${this.#state}; it observes nothing more`);
    this.#baseline = join(this.#baseline, window.baseline);
    this.#canary = join(this.#canary, window.canary);
    const { verdict } = analyze({ baseline: this.#baseline, canary: this.#canary }, this.#options);
    if (verdict === 'fail') {
      this.#state = 'rolled-back';
    } else if (verdict === 'pass') {
      // The next analysis starts afresh, both sides from the same windows.
      this.#baseline = { latenciesMs: [], errors: 0 };
      this.#canary = { latenciesMs: [], errors: 0 };
      this.#passes++;
      if (this.#passes >= this.#passesPerStage) {
        this.#stage++;
        this.#passes = 0;
        if (this.#stage === STAGES.length - 1) this.#state = 'complete';
      }
    }
    return { verdict, percent: this.percent, state: this.#state };
  }
}

function join(held: Side, more: Side): Side {
  return { latenciesMs: [...held.latenciesMs, ...more.latenciesMs], errors: held.errors + more.errors };
}
