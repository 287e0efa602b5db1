/**
 * `npm run check`: every rule of rules.ts over the exercises asked about. The files' rules first,
 * then one type-check of them all, then the runs: each exercise's proof through a warm runner of
 * its own, a few exercises side by side (`jobs`, by default as many as the machine's two cores).
 */
import { availableParallelism } from 'node:os';
import { exercisesDir as defaultExercisesDir } from '../package-paths.ts';
import { DEFAULT_PROOF, type ProofOptions } from './prove.ts';
import { fileFindings, runFindings, type Finding } from './rules.ts';
import { typecheckFindings } from './typecheck.ts';

export interface CheckOptions {
  /** Mutants (and the reference) run on seeds 1..seeds; 2 and 3 by default. */
  seeds?: number;
  /** Exercises proven side by side. */
  jobs?: number;
  /** Leave out the type-check (the self-tests' `npm run typecheck` covers it). */
  typecheck?: boolean;
  /** Leave out the runs: the rules of the files (and types) alone. */
  runs?: boolean;
  exercisesDir?: string;
  /** Told as each exercise's report is ready. */
  onReport?: (report: ExerciseReport) => void;
}

export interface ExerciseReport {
  id: string;
  findings: Finding[];
  /** What was run, e.g. "reference 3 seeds, starter, 12 mutants × 2 seeds, demo". */
  ran: string;
  ms: number;
}

/** Seeds for a proof: `--seeds N` sweeps 1..N for the reference and every mutant. */
export function proofOptions(seeds: number | undefined): ProofOptions {
  if (seeds === undefined) return DEFAULT_PROOF;
  const all = Array.from({ length: seeds }, (_, i) => i + 1);
  return { referenceSeeds: all, mutantSeeds: all };
}

/** Runs `jobs` at most `limit` at a time, results in order. */
export async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

export async function checkExercises(names: readonly string[], options: CheckOptions = {}): Promise<ExerciseReport[]> {
  const dir = options.exercisesDir ?? defaultExercisesDir;
  const start = performance.now();
  const loaded = names.map((name) => ({ name, ...fileFindings(dir, name) }));
  const exercises = loaded.flatMap((l) => (l.exercise ? [l.exercise] : []));
  // Before any run: the type checker holds the event loop, which would delay the runs' messages.
  const types = options.typecheck === false || exercises.length === 0 ? new Map<string, Finding[]>() : await typecheckFindings(exercises);
  const staticMs = (performance.now() - start) / Math.max(1, names.length);
  const proof = proofOptions(options.seeds);
  const jobs = options.jobs ?? Math.max(1, Math.min(2, availableParallelism()));
  return pool(
    loaded.map(({ name, exercise, findings }) => async (): Promise<ExerciseReport> => {
      const began = performance.now();
      const all = [...findings, ...(types.get(name) ?? [])];
      let ran = 'files';
      if (exercise && options.runs !== false) {
        const runs = await runFindings(exercise, proof);
        all.push(...runs.findings);
        ran = runs.ran;
      }
      const report = { id: name, findings: all, ran, ms: staticMs + performance.now() - began };
      options.onReport?.(report);
      return report;
    }),
    jobs,
  );
}
