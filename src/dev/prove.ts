/**
 * Runs what an exercise's proof needs: its reference on several seeds, its starter, and every mutant
 * on several seeds, all through one warm runner (one vitest start-up for the whole exercise; the
 * warm verdicts equal cold ones, test/warm-verifier.test.ts). Judging what came out is rules.ts's job.
 */
import { join } from 'node:path';
import type { Exercise } from '../catalog/catalog.ts';
import type { Verdict } from '../verify/verdict.ts';
import { verify, type SuiteRunner } from '../verify/verify.ts';
import { WarmSuiteRunner } from '../verify/warm/warm-runner.ts';
import { isBroken, loadMutants, type BrokenMutant, type Mutant } from './mutants.ts';
import { isCheckTitled, suiteChecksMentioning } from './suite-source.ts';

/**
 * A tight learner timeout reports a runaway loop soon; here, on a machine busy with other proofs,
 * a slow start must not read as a wrong answer (timeouts have their own tests).
 */
export const PROOF_TIMEOUT_SECONDS = 40;

export interface ProofOptions {
  /** Seeds the reference must pass under. */
  referenceSeeds: readonly number[];
  /** Seeds every mutant must fail under. */
  mutantSeeds: readonly number[];
  /** Judges files; a warm runner of the proof's own by default. */
  runner?: SuiteRunner;
  /** Told as each verdict comes (for progress). */
  onVerdict?: (subject: string, seed: number, verdict: Verdict) => void;
}

export interface MutantProof {
  mutant: Mutant;
  verdicts: Verdict[];
}

export interface Proof {
  reference: Verdict[];
  starter: Verdict;
  mutants: Array<MutantProof | BrokenMutant>;
  /** Wall-clock time the proof took. */
  ms: number;
}

/** How a verdict tells a check that did not run (verdict.ts). */
const SKIPPED = 'this check was skipped';

export const DEFAULT_PROOF: ProofOptions = { referenceSeeds: [1, 2, 3], mutantSeeds: [1, 2] };

/**
 * A proof judges verdicts, not their explanations: a failing scenario is not shrunk to its fewest
 * faults (harness/simulate.ts's LEARN_DS_SHRINK_MS budget, 0 here), or every mutant would spend
 * seconds on it. Shrinking has tests of its own, and bench/shrink.ts measures it over the mutants.
 */
function withoutShrinking(): void {
  process.env.LEARN_DS_SHRINK_MS ??= '0';
}

export async function proveExercise(exercise: Exercise, options: ProofOptions = DEFAULT_PROOF): Promise<Proof> {
  const start = performance.now();
  withoutShrinking();
  const own = options.runner ? undefined : new WarmSuiteRunner();
  const runner: SuiteRunner = options.runner ?? ((r) => own!.run(r));
  const judge = async (subject: string, file: string, seed: number, stopWhen?: string): Promise<Verdict> => {
    const request = { exercise, file, shownFile: subject, seed, timeoutSeconds: PROOF_TIMEOUT_SECONDS };
    let verdict = await verify(stopWhen ? { ...request, stopWhen } : request, runner);
    // The run stops where the child saw the mistake named; should the verdict tell it otherwise,
    // the whole suite runs again, so the rule judges a complete verdict.
    if (stopWhen && !names(verdict, stopWhen)) verdict = await verify(request, runner);
    options.onVerdict?.(subject, seed, verdict);
    return verdict;
  };
  /**
   * The starter fails once a check fails after its file loaded: its first checks run alone, and
   * the whole suite only when none of them fails (as with mutants, a check stands alone).
   */
  const judgeStarter = async (firstChecks: readonly string[]): Promise<Verdict> => {
    const seed = options.referenceSeeds[0] ?? 1;
    if (firstChecks.length > 0) {
      const only = ['TODO', ...firstChecks].join('\n');
      const verdict = await verify({ exercise, file: exercise.starterPath, shownFile: 'starter', seed, timeoutSeconds: PROOF_TIMEOUT_SECONDS, stopWhen: only }, runner);
      const failedOne = verdict.checks.some((c) => firstChecks.includes(c.name) && !c.passed && c.message !== SKIPPED);
      if (failedOne && verdict.checks[0]?.passed === true) {
        options.onVerdict?.('starter', seed, verdict);
        return verdict;
      }
    }
    return judge('starter', exercise.starterPath, seed);
  };
  try {
    const reference: Verdict[] = [];
    for (const seed of options.referenceSeeds) reference.push(await judge('reference', exercise.solutionPath, seed));
    /** The suite's checks, as the reference's first run names them (after the verdict's own "loads"). */
    const checkNames = reference[0]?.checks.map((c) => c.name) ?? [];
    const starter = await judgeStarter(checkNames.slice(1, 3));
    const mutants: Proof['mutants'] = [];
    for (const mutant of loadMutants(exercise)) {
      if (isBroken(mutant)) {
        mutants.push(mutant);
        continue;
      }
      const subject = `mutant ${mutant.name}`;
      const verdicts: Verdict[] = [];
      for (const seed of options.mutantSeeds) {
        // Only the checks that should catch the mistake run, the others skipped (they are most of a
        // run): on the first seed, the checks whose names contain its `expect` text, else those
        // whose source does (the text is in their failure message: suite-source.ts); on the next
        // ones the check that named it on the first; with the first check (the file loads). Should
        // none of them name the mistake, the whole suite runs. This takes a hidden suite's checks to
        // stand alone (each builds what it needs, as `vitest -t` expects): a check that failed only
        // because one before it was skipped would pass for the mistake's name.
        const named = verdicts.length > 0 ? namingCheck(verdicts[0]!, mutant.expect) : undefined;
        const targets = named ? [named.name] : targetChecks(exercise, checkNames, mutant.expect);
        if (targets.length > 0) {
          const only = [mutant.expect, ...new Set([...checkNames.slice(0, 1), ...targets])].join('\n');
          const verdict = await verify({ exercise, file: mutant.file, shownFile: subject, seed, timeoutSeconds: PROOF_TIMEOUT_SECONDS, stopWhen: only }, runner);
          const caught = verdict.checks.some((c) => targets.includes(c.name) && checkNamesText(c, mutant.expect));
          if (caught && verdict.checks[0]?.passed !== false) {
            options.onVerdict?.(subject, seed, verdict);
            verdicts.push(verdict);
            continue;
          }
        }
        verdicts.push(await judge(subject, mutant.file, seed, mutant.expect));
      }
      mutants.push({ mutant, verdicts });
    }
    return { reference, starter, mutants, ms: performance.now() - start };
  } finally {
    own?.close();
  }
}

/** The checks a mistake's `expect` text points to: those named with it, else those whose source has it. */
function targetChecks(exercise: Exercise, checkNames: readonly string[], expect: string): string[] {
  const byName = checkNames.filter((n) => n.toLowerCase().includes(expect.toLowerCase()));
  if (byName.length > 0) return byName;
  const titles = suiteChecksMentioning(join(exercise.dir, 'tests'), expect);
  return checkNames.filter((n) => titles.some((t) => isCheckTitled(n, t)));
}

/** Whether a failing check of the verdict mentions the text (case-insensitive), as a mutant's `expect` must. */
export function names(verdict: Verdict, text: string): boolean {
  return failureText(verdict).toLowerCase().includes(text.toLowerCase());
}

/** Failed checks of a verdict as text: what a mutant's `expect` must be found in. */
export function failureText(verdict: Verdict): string {
  return verdict.checks
    .filter((c) => !c.passed)
    .map(checkText)
    .join('\n---\n');
}

function checkText(c: Verdict['checks'][number]): string {
  return `${c.name}\n${c.message ?? ''}\n${c.detail ?? ''}`;
}

/** Whether the check ran and failed mentioning the text (case-insensitive). */
function checkNamesText(c: Verdict['checks'][number], text: string): boolean {
  return !c.passed && c.message !== SKIPPED && checkText(c).toLowerCase().includes(text.toLowerCase());
}

/** The first failed check of the verdict that mentions the text, as `names` finds it. */
function namingCheck(verdict: Verdict, text: string): Verdict['checks'][number] | undefined {
  return verdict.checks.find((c) => checkNamesText(c, text));
}
