/**
 * `learn-ds run`: runs the learner's file in the exercise's demo scenario (demo.ts) and returns the
 * pictures it drew. It goes through the same child process as verify, so a hang, a crash or a
 * process.exit in the learner's code is explained the same way; nothing is judged or recorded.
 */
import type { Exercise } from '../catalog/catalog.ts';
import { preflight } from './preflight.ts';
import { runSuite } from './run-suite.ts';
import { judge, type Verdict } from './verdict.ts';
import { freshSeed, type SuiteRunner } from './verify.ts';

export interface DemoRequest {
  exercise: Exercise;
  file: string;
  shownFile: string;
  seed?: number;
  timeoutSeconds?: number;
}

export interface DemoResult {
  pictures: Array<{ title: string; picture: string }>;
  /** How the run went, as verify would say it: explains why a picture is missing. */
  verdict: Verdict;
}

/** `runner` runs the demo: cold by default; authors' proofs pass their warm runner (warm/warm-runner.ts). */
export async function runDemo(request: DemoRequest, runner: SuiteRunner = runSuite): Promise<DemoResult> {
  const { exercise, file, shownFile } = request;
  const seed = request.seed ?? freshSeed();
  const timeoutMs = (request.timeoutSeconds ?? exercise.timeoutSeconds) * 1000;
  const base = { exercise: exercise.id, shownFile, subjectFile: file, exports: exercise.exports, seed, timeoutMs };
  const problem = await preflight(file, shownFile);
  if (problem) return { pictures: [], verdict: judge({ ...base, preflight: problem }) };
  const outcome = await runner({ exerciseDir: exercise.dir, subjectFile: file, exports: exercise.exports, seed, timeoutMs, demo: true });
  const pictures = (outcome.report?.tests ?? []).flatMap((t) => (t.picture === undefined ? [] : [{ title: t.name, picture: t.picture }]));
  return { pictures, verdict: judge({ ...base, preflight: null, outcome }) };
}
