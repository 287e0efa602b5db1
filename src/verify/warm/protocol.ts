/**
 * Messages between the warm verifier (parent, warm-runner.ts) and its long-lived vitest child
 * (child.ts), over Node's IPC channel. Results still travel as the reporter's report.json, exactly
 * as in a cold run; these messages only say "run now" and "done".
 */

/** Parent → child: run the hidden suite once, against this file, with this seed. */
export interface RunMessage {
  type: 'run';
  id: number;
  subjectFile: string;
  exports: readonly string[];
  seed: number;
  /** Where the reporter writes this run's RawReport (and the setup its ".running" file). */
  reportFile: string;
  /** ENV.stopWhen for this run (authors' proofs). */
  stopWhen?: string;
  /** Run the exercise's demo.ts instead of its hidden tests (ENV.demo; authors' proofs draw it warm). */
  demo?: boolean;
}

/**
 * Set to "1" in the warm child where a worker thread a run left clean may serve the next run
 * (prestarted-pool.ts); "0" in the environment of learn-ds turns it off (WarmSuiteRunner).
 */
export const REUSE_THREADS_ENV = 'LEARN_DS_REUSE_THREADS';

/** Where a run's time went, from vitest's own per-file diagnostics (ms, summed over files). */
export interface RunPhases {
  /** The whole run as the child saw it: worker start to report written. */
  totalMs: number;
  /** Importing the test files, the harness and the learner's file. */
  collectMs: number;
  /** The setup file. */
  setupMs: number;
  /** The tests themselves. */
  testsMs: number;
  /** CPU time the child used for the run, all its threads together. */
  cpuMs: number;
  /** The vitest pool that ran it (the prestarted one unless LEARN_DS_PRESTART=0). */
  pool: string;
  /** Whether the run had a new worker thread or one kept from an earlier run (proofs reuse clean ones). */
  thread?: 'new' | 'reused';
}

/** Child → parent. */
export type ChildMessage =
  /** vitest is up, the hidden suite is found and its modules are transformed: runs are fast now. */
  | { type: 'ready' }
  /** A run ended; exitCode is what `vitest run` would have exited with (process.exitCode). */
  | { type: 'done'; id: number; exitCode: number; phases: RunPhases }
  /** vitest could not start (a broken config or suite): the parent falls back to cold runs. */
  | { type: 'failed'; message: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'done' || type === 'failed';
}

export function isRunMessage(value: unknown): value is RunMessage {
  return (value as { type?: unknown } | null)?.type === 'run';
}
