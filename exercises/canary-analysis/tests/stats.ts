// The suite's own statistics, computed another way than the statement's ranks: U by counting, for
// each canary value, the baseline values below it and equal to it (one walk over both samples
// sorted), or pair by pair on small samples. The checks compare the learner's figures with these.
import type { Side, Verdict, Window } from 'learn-ds/subject/canary-analysis';

export const Z_CRITICAL = 1.6448536269514722;
export const DEFAULTS = { minSamples: 50, zCritical: Z_CRITICAL, maxLatencyIncrease: 0.05, maxErrorRateIncrease: 0.01 };
export type Options = typeof DEFAULTS;

/** U of the canary pair by pair: O(m·n), for small samples. */
export function pairwiseU(baseline: readonly number[], canary: readonly number[]): number {
  let u = 0;
  for (const c of canary) for (const b of baseline) u += c > b ? 1 : c === b ? 0.5 : 0;
  return u;
}

/** An ascending copy: a typed array sorts numbers natively, without a comparator call per pair. */
function sortedCopy(values: readonly number[]): Float64Array {
  return new Float64Array(values).sort();
}

/**
 * U of the canary and Σ (t³ − t) over the groups of equal values of both samples together, in
 * one walk over both sorted samples: each group of equal values adds, for each of its canary
 * values, the baseline values below it and half those equal to it. O((m + n) log(m + n)).
 */
function countedU(b: Float64Array, c: Float64Array): { u: number; ties: number } {
  let i = 0;
  let j = 0;
  let twice = 0;
  let ties = 0;
  while (i < b.length || j < c.length) {
    const v = j >= c.length || (i < b.length && b[i]! < c[j]!) ? b[i]! : c[j]!;
    const below = i;
    while (i < b.length && b[i] === v) i++;
    const start = j;
    while (j < c.length && c[j] === v) j++;
    const t = i - below + (j - start);
    twice += (j - start) * (2 * below + (i - below));
    ties += t ** 3 - t;
  }
  return { u: twice / 2, ties };
}

export interface ZParts {
  u: number;
  mean: number;
  variance: number;
  varianceWithoutTies: number;
}

export function zParts(baseline: readonly number[], canary: readonly number[]): ZParts {
  return zPartsSorted(sortedCopy(baseline), sortedCopy(canary));
}

function zPartsSorted(b: Float64Array, c: Float64Array): ZParts {
  const m = c.length;
  const n = b.length;
  const total = m + n;
  const { u, ties } = countedU(b, c);
  const mean = (m * n) / 2;
  const varianceWithoutTies = (m * n * (total + 1)) / 12;
  const variance = varianceWithoutTies - (m * n * ties) / (12 * total * (total - 1));
  return { u, mean, variance, varianceWithoutTies };
}

/** The statement's z: one-sided, continuity-corrected, tie-corrected; 0 when every value is equal. */
export function latencyZ(baseline: readonly number[], canary: readonly number[]): number {
  return zOf(zParts(baseline, canary));
}

function zOf({ u, mean, variance }: ZParts): number {
  return variance > 1e-12 ? (u - mean - 0.5) / Math.sqrt(variance) : 0;
}

export function median(values: readonly number[]): number {
  return medianSorted(sortedCopy(values));
}

function medianSorted(s: Float64Array): number {
  const h = s.length / 2;
  return Number.isInteger(h) ? (s[h - 1]! + s[h]!) / 2 : s[Math.floor(h)]!;
}

export function requests(side: Side): number {
  return side.latenciesMs.length + side.errors;
}

/** The pooled two-proportion z of the canary's error rate over the baseline's; 0 when the rates are 0 or 1 throughout. */
export function errorZ(baseline: Side, canary: Side): number {
  const nb = requests(baseline);
  const nc = requests(canary);
  const p = (baseline.errors + canary.errors) / (nb + nc);
  const variance = p * (1 - p) * (1 / nb + 1 / nc);
  return variance > 0 ? (canary.errors / nc - baseline.errors / nb) / Math.sqrt(variance) : 0;
}

/** Other z's that some mistakes produce, to say which one the learner's z matches. */
export function zMistakes(baseline: readonly number[], canary: readonly number[]): Array<[string, number]> {
  const { u, mean, variance, varianceWithoutTies } = zParts(baseline, canary);
  const sd = Math.sqrt(variance);
  const out: Array<[string, number]> = [
    ['without the continuity correction (the − 0.5)', (u - mean) / sd],
    ['without the tie correction of the variance', (u - mean - 0.5) / Math.sqrt(varianceWithoutTies)],
    ['for the baseline against the canary (the sign turned round)', (mean - u - 0.5) / sd],
    ['with + 0.5 instead of − 0.5', (u - mean + 0.5) / sd],
  ];
  return out.filter(([, z]) => Number.isFinite(z));
}

export interface Expected {
  latency: Verdict;
  errors: Verdict;
  verdict: Verdict;
  latencyZ: number;
  errorZ: number;
}

/** The statement's verdicts, computed by the suite. */
export function expected(window: Window, o: Options = DEFAULTS): Expected {
  const { baseline, canary } = window;
  let latency: Verdict = 'wait';
  let lz = NaN;
  if (baseline.latenciesMs.length >= o.minSamples && canary.latenciesMs.length >= o.minSamples) {
    const b = sortedCopy(baseline.latenciesMs);
    const c = sortedCopy(canary.latenciesMs);
    lz = zOf(zPartsSorted(b, c));
    const rises = medianSorted(c) > medianSorted(b) * (1 + o.maxLatencyIncrease);
    latency = lz >= o.zCritical && rises ? 'fail' : 'pass';
  }
  let errors: Verdict = 'wait';
  let ez = NaN;
  if (requests(baseline) >= o.minSamples && requests(canary) >= o.minSamples) {
    ez = errorZ(baseline, canary);
    const rises = canary.errors / requests(canary) - baseline.errors / requests(baseline) > o.maxErrorRateIncrease;
    errors = ez >= o.zCritical && rises ? 'fail' : 'pass';
  }
  const verdict: Verdict = latency === 'fail' || errors === 'fail' ? 'fail' : latency === 'wait' || errors === 'wait' ? 'wait' : 'pass';
  return { latency, errors, verdict, latencyZ: lz, errorZ: ez };
}

export type State = 'running' | 'complete' | 'rolled-back';
export interface ModelStep {
  verdict: Verdict;
  percent: number;
  state: State;
}

const STAGES = [1, 10, 50, 100];

/** The statement's rollout, as the suite runs it beside the learner's. */
export class ModelRollout {
  stage = 0;
  passes = 0;
  state: State = 'running';
  held: Window = { baseline: { latenciesMs: [], errors: 0 }, canary: { latenciesMs: [], errors: 0 } };
  constructor(readonly options: Options = DEFAULTS, readonly passesPerStage = 3) {}

  get percent(): number {
    return this.state === 'rolled-back' ? 0 : STAGES[this.stage]!;
  }

  observe(window: Window): ModelStep {
    const add = (a: Side, b: Side): Side => ({ latenciesMs: a.latenciesMs.concat(b.latenciesMs), errors: a.errors + b.errors });
    this.held = { baseline: add(this.held.baseline, window.baseline), canary: add(this.held.canary, window.canary) };
    const { verdict } = expected(this.held, this.options);
    if (verdict === 'fail') this.state = 'rolled-back';
    if (verdict === 'pass') {
      this.held = { baseline: { latenciesMs: [], errors: 0 }, canary: { latenciesMs: [], errors: 0 } };
      if (++this.passes === this.passesPerStage) {
        this.passes = 0;
        if (++this.stage === STAGES.length - 1) this.state = 'complete';
      }
    }
    return { verdict, percent: this.percent, state: this.state };
  }
}
