/**
 * What passes between the `verify` command and the vitest child that runs a hidden suite.
 * The parent sets the environment; the child's reporter writes a RawReport as JSON.
 * Results are never scraped from text output.
 */
import type { Printed } from './printed.ts';

/** Environment variables the parent sets for the child. */
export const ENV = {
  /** Absolute path of the learner's file under test. */
  subject: 'LEARN_DS_SUBJECT',
  /** Comma-separated names the learner's file must export. */
  exports: 'LEARN_DS_EXPORTS',
  /** Seed for every random choice of the hidden suite (decimal integer). */
  seed: 'LEARN_DS_SEED',
  /** Where the reporter writes its RawReport. */
  report: 'LEARN_DS_REPORT',
  /** The exercise folder whose `tests/` the child runs. */
  exerciseDir: 'LEARN_DS_EXERCISE_DIR',
  /** vitest's limit for one test, in ms: half the hard limit of the whole run. */
  testTimeoutMs: 'LEARN_DS_TEST_TIMEOUT_MS',
  /** Set (to "1") to run the exercise's demo.ts instead of its hidden tests (`learn-ds run`). */
  demo: 'LEARN_DS_DEMO',
  /**
   * The learner's folder for the last failing simulated run of each exercise (`learn-ds explain`),
   * set by `verify` in its own environment so that every runner (cold, warm, daemon) passes it on.
   */
  failures: 'LEARN_DS_FAILURES_DIR',
  /**
   * Authors' proofs only (src/dev/prove.ts): once a check fails whose name, message or detail
   * contains this text (case-insensitive), the checks after it are skipped. A mutant's proof needs
   * one failing check that names its mistake, not the rest of the suite. Lines after the first,
   * if any, name the only checks to run (as a verdict names them), the others skipped: a mutant's
   * next seed needs only the check that named it on the first.
   */
  stopWhen: 'LEARN_DS_STOP_WHEN',
} as const;

export type TestState = 'passed' | 'failed' | 'skipped' | 'pending';

export interface RawError {
  /** Constructor name when the thrown value was an Error, else "non-Error". */
  name: string;
  message: string;
  stack?: string;
  /** Extra lines the hidden suite attached for the learner (e.g. a timeline). */
  detail?: string;
}

export interface RawTest {
  /** The test's own title, which is the check's name shown to the learner. */
  name: string;
  /** Titles of enclosing `describe` blocks, outermost first. */
  path: string[];
  state: TestState;
  errors: RawError[];
  durationMs: number;
  /** A demo's picture (`learn-ds run`), attached by the harness's demo(). */
  picture?: string;
  /** Performance figures the check measured (the harness's figure()), shown under it. */
  figures?: RawFigure[];
  /** How many scenarios reached each `sometimes()` label, per checkScenario run of this check. */
  sometimes?: SometimesCount[];
}

/** A measured figure: `messages per broadcast 18.2 (limit 30)`. */
export interface RawFigure {
  name: string;
  value: number;
  unit?: string;
  limit?: number;
  /** Which way is good (default 'lower': at most the limit). */
  better?: 'lower' | 'higher';
}

/** A `sometimes(label)` of a scenario: reached in `reached` of `scenarios` seeds. */
export interface SometimesCount {
  label: string;
  reached: number;
  scenarios: number;
}

export interface RawReport {
  version: 1;
  /** The run ended normally (the reporter's onTestRunEnd ran). */
  complete: true;
  tests: RawTest[];
  /** Errors that stopped a test file from loading (e.g. the learner's file failed to import). */
  moduleErrors: RawError[];
  /** Unhandled errors and rejections raised while the suite ran. */
  unhandledErrors: RawError[];
  /** Imports of learn-ds's own solutions, tests or mutants that learner code attempted (refused). */
  refusedImports?: string[];
  /** What the code printed with console.* (the first lines, each with its check). */
  printed?: Printed;
}

/** Beside the report: the name of the test currently running, rewritten as each one starts. */
export function runningFile(reportFile: string): string {
  return `${reportFile}.running`;
}
