// The project's own tests. Hidden suites (exercises/*/tests) are not run directly: they run
// through the verifier, against reference solutions, starters and mutants (test/exercises.test.ts).
import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The files that take longest, in this order: the proofs of every exercise, then the one type-check. */
const LONGEST = ['test/exercises.test.ts', 'test/typecheck.test.ts'];

/**
 * The longest files start first, so that the many short ones run beside them, not after them
 * (vitest's own order puts larger files first on a clean clone, and exercises.test.ts is small).
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (s: TestSpecification) => {
      const i = LONGEST.findIndex((name) => s.moduleId.endsWith(name));
      return i < 0 ? LONGEST.length : i;
    };
    return (await super.sort(files)).map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map(({ s }) => s);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fixture exercises' hidden suites run through the verifier, never directly.
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    // Two files at once even on 2 cores (vitest's default there is one): while exercises.test.ts
    // keeps both cores busy with proofs, the other files, which mostly wait on the processes they
    // start, fill the gaps instead of running after it.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongestFirst },
    // Concurrent tests here each run a verifier child process; more than this only queues on CPUs.
    maxConcurrency: 3,
    hookTimeout: 60_000,
    // No test leaves a warm verifier daemon behind unless it asks for one (test/daemon.test.ts).
    env: { LEARN_DS_DAEMON: '0' },
  },
});
