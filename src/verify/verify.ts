/**
 * verify: judge one learner file against one exercise's hidden suite.
 * preflight (file, syntax) → vitest child (hidden suite, virtual time, seeded) → verdict.
 * The same steps whichever runner runs the suite, so a cold and a warm run judge alike.
 */
import { randomInt } from 'node:crypto';
import type { Exercise } from '../catalog/catalog.ts';
import { preflight, type PreflightProblem } from './preflight.ts';
import type { SuiteOutcome, SuiteRequest } from './run-suite.ts';
import { judge, type Verdict } from './verdict.ts';

export interface VerifyRequest {
  exercise: Exercise;
  /** Absolute path of the file to judge. */
  file: string;
  /** How to show the file in messages (e.g. relative to the current directory). */
  shownFile: string;
  /** Replays a run; a fresh seed is drawn otherwise. */
  seed?: number;
  /** Hard limit of the whole run, in seconds; the exercise's own limit otherwise. */
  timeoutSeconds?: number;
  /** Authors' proofs: skip the checks after the first failing one that mentions this text. */
  stopWhen?: string;
  /** Told how far the run has got (a progress bar). */
  onProgress?: SuiteRequest['onProgress'];
}

/** Seeds are drawn from a range that is easy to read and to type back. */
export function freshSeed(): number {
  return randomInt(1, 1_000_000);
}

/**
 * The run's limit (CPU time): --timeout, else the exercise's, stretched in proportion when
 * LEARN_DS_SCENARIOS asks simulated checks for more than their 100 seeds (a longer hunt).
 */
export function timeoutMsOf(request: Pick<VerifyRequest, 'timeoutSeconds'>, exercise: Pick<Exercise, 'timeoutSeconds'>): number {
  if (request.timeoutSeconds !== undefined) return request.timeoutSeconds * 1000;
  const scenarios = Number(process.env.LEARN_DS_SCENARIOS);
  const stretch = Number.isSafeInteger(scenarios) && scenarios > 100 ? scenarios / 100 : 1;
  return exercise.timeoutSeconds * 1000 * stretch;
}

/** Runs a hidden suite: cold (run-suite.ts, the default) or warm (warm/warm-runner.ts, for watch). */
export type SuiteRunner = (request: SuiteRequest) => Promise<SuiteOutcome>;

/**
 * A runner that makes the preflight itself, before the run, with preflight.ts as verify would:
 * the verifier daemon (daemon/client.ts), whose esbuild is warm. Its answer is the preflight's
 * problem or the run's outcome.
 */
export interface PreflightingRunner {
  checkAndRun(request: SuiteRequest, shownFile: string): Promise<{ preflight: PreflightProblem } | { outcome: SuiteOutcome }>;
}

/** The cold runner, loaded when used (execa and the rest): a run through the daemon never loads it. */
async function coldRun(request: SuiteRequest): Promise<SuiteOutcome> {
  const { runSuite } = await import('./run-suite.ts');
  return runSuite(request);
}

export async function verify(request: VerifyRequest, runner: SuiteRunner | PreflightingRunner = coldRun): Promise<Verdict> {
  const { exercise, file, shownFile } = request;
  const seed = request.seed ?? freshSeed();
  const timeoutMs = timeoutMsOf(request, exercise);
  const base = { exercise: exercise.id, shownFile, subjectFile: file, exports: exercise.exports, seed, timeoutMs };
  const stopWhen = request.stopWhen ? { stopWhen: request.stopWhen } : {};
  const onProgress = request.onProgress ? { onProgress: request.onProgress } : {};
  const suite: SuiteRequest = { exerciseDir: exercise.dir, subjectFile: file, exports: exercise.exports, seed, timeoutMs, ...stopWhen, ...onProgress };
  if (typeof runner !== 'function') {
    const answer = await runner.checkAndRun(suite, shownFile);
    return 'preflight' in answer ? judge({ ...base, preflight: answer.preflight }) : judge({ ...base, preflight: null, outcome: answer.outcome });
  }
  const problem = await preflight(file, shownFile);
  if (problem) return judge({ ...base, preflight: problem });
  return judge({ ...base, preflight: null, outcome: await runner(suite) });
}
