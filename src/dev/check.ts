/**
 * `npm run check`: every rule of rules.ts over the exercises asked about. The files' rules first,
 * then one type-check of them all, then the runs: each exercise's proof through a warm runner of
 * its own, a few exercises side by side (`jobs`, by default as many as the machine's two cores).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Exercise } from '../catalog/catalog.ts';
import { exercisesDir as defaultExercisesDir } from '../package-paths.ts';
import { DEFAULT_PROOF, type ProofOptions } from './prove.ts';
import { fileFindings, runFindings, type Finding } from './rules.ts';
import { typecheckFindings } from './typecheck.ts';

export interface CheckOptions {
  /** Mutants (and the reference) run on seeds from..from + seeds − 1; 2 and 3 by default. */
  seeds?: number;
  /** The first seed of a sweep (1 by default). */
  from?: number;
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

/**
 * Seeds for a proof: `--seeds N` sweeps 1..N for the reference and every mutant, `--from S` starts
 * it at S (a learner's seed is random: seeds far from the usual ones find what they miss).
 */
export function proofOptions(seeds: number | undefined, from = 1): ProofOptions {
  if (seeds === undefined && from === 1) return DEFAULT_PROOF;
  const all = Array.from({ length: seeds ?? DEFAULT_PROOF.mutantSeeds.length }, (_, i) => from + i);
  return { referenceSeeds: all, mutantSeeds: all };
}

/**
 * A rough figure of what an exercise's proof costs, to start the costliest first (so that the last
 * proof running alone on a busy machine is a short one): its runs (the reference's seeds, the
 * starter, each mutant's seeds, the demo's two), each weighed by the size of its hidden suite (a
 * larger suite loads and runs longer). Measured proof CPU (bench/proof-cost.ts) follows it roughly.
 */
export function expectedCost(exercise: Pick<Exercise, 'dir' | 'demoPath'>, options: ProofOptions = DEFAULT_PROOF): number {
  const mutants = existsSync(join(exercise.dir, 'mutants')) ? readdirSync(join(exercise.dir, 'mutants')).filter((f) => f.endsWith('.patch') || f.endsWith('.ts')).length : 0;
  const runs = options.referenceSeeds.length + 1 + mutants * options.mutantSeeds.length + (exercise.demoPath ? 2 : 0);
  const tests = join(exercise.dir, 'tests');
  const bytes = existsSync(tests)
    ? readdirSync(tests, { recursive: true, encoding: 'utf8' }).reduce((sum, f) => sum + (f.endsWith('.ts') ? statSync(join(tests, f)).size : 0), 0)
    : 0;
  return runs * (1 + bytes / 30_000);
}

/** The indexes of `items`, costliest first (ties in their order). */
export function costliestFirst<T>(items: readonly T[], cost: (item: T) => number): number[] {
  const costs = items.map(cost);
  return items.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]! || a - b);
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
  const proof = proofOptions(options.seeds, options.from);
  const jobs = options.jobs ?? Math.max(1, Math.min(2, availableParallelism()));
  const proveOne = loaded.map(({ name, exercise, findings }) => async (): Promise<ExerciseReport> => {
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
  });
  // The costliest proofs first (as test/exercises.test.ts orders them), the reports in the order asked.
  const order = options.runs === false ? loaded.map((_, i) => i) : costliestFirst(loaded, (l) => (l.exercise ? expectedCost(l.exercise, proof) : 0));
  const reports = await pool(order.map((i) => proveOne[i]!), jobs);
  const inOrder: ExerciseReport[] = new Array(reports.length);
  order.forEach((i, k) => (inOrder[i] = reports[k]!));
  return inOrder;
}
