// Calling the learner's code, and building samples whose statistics are known exactly.
import { describeThrown, fail, show } from 'learn-ds/harness';
import { analyze, type Analysis, type CanaryOptions, type Side, type Window } from 'learn-ds/subject/canary-analysis';

export function side(latenciesMs: readonly number[], errors = 0): Side {
  return { latenciesMs, errors };
}

/** `count` copies of `value`. */
export function times(count: number, value: number): number[] {
  return Array.from({ length: count }, () => value);
}

/** How a window is shown in a message: sizes, a few values, the errors. */
export function showSide(s: Side): string {
  const l = s.latenciesMs;
  const few = l.length <= 8 ? show([...l]) : `[${l.slice(0, 5).map((v) => show(v)).join(', ')}, … ${l.length - 5} more]`;
  return `{ latenciesMs: ${few} (${l.length}), errors: ${s.errors} }`;
}

export function showCall(w: Window, options?: CanaryOptions): string {
  return `analyze({ baseline: ${showSide(w.baseline)}, canary: ${showSide(w.canary)} }${options ? `, ${show(options)}` : ''})`;
}

/** analyze(), with what it throws turned into a failure for the learner. */
export function run(w: Window, options?: CanaryOptions): Analysis {
  let result: Analysis;
  try {
    result = options === undefined ? analyze(w) : analyze(w, options);
  } catch (error) {
    fail(`${showCall(w, options)} threw ${describeThrown(error)}; expected an analysis`);
  }
  if (typeof result !== 'object' || result === null || typeof result.latency !== 'object' || typeof result.errors !== 'object') {
    fail(`${showCall(w, options)} returned ${show(result)}; expected { latency: {…}, errors: {…}, verdict }`);
  }
  return result;
}

export function near(actual: unknown, expected: number, tolerance = 1e-9): boolean {
  return typeof actual === 'number' && Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
}

/**
 * A canary of `m` and a baseline of `n` distinct latencies whose U is exactly `u`: the canary's
 * top values pass every baseline value they can, the next ones fewer. Latency = 50 + rank / 4 ms.
 */
export function samplesWithU(m: number, n: number, u: number): Window {
  const moves: number[] = [];
  let left = u;
  for (let i = m - 1; i >= 0; i--) {
    const move = Math.min(left, n);
    moves[i] = move;
    left -= move;
  }
  const canaryRanks = moves.map((move, i) => i + 1 + move);
  const taken = new Set(canaryRanks);
  const baselineRanks: number[] = [];
  for (let r = 1; r <= m + n; r++) if (!taken.has(r)) baselineRanks.push(r);
  const ms = (r: number) => 50 + r / 4;
  return { baseline: side(baselineRanks.map(ms)), canary: side(canaryRanks.map(ms)) };
}

/** A shuffled copy, seeded: the order of samples must not matter. */
export function shuffled<T>(values: readonly T[], rand: () => number): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The next double above `x`. */
export function nextUp(x: number): number {
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, x);
  buffer.setBigUint64(0, buffer.getBigUint64(0) + (x >= 0 ? 1n : -1n));
  return buffer.getFloat64(0);
}
