// The project's own tests. Hidden suites (exercises/*/tests) are not run directly: they run
// through the verifier, against reference solutions, starters and mutants (test/exercises.test.ts).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fixture exercises' hidden suites run through the verifier, never directly.
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    // Concurrent tests here each run a verifier child process; more than this only queues on CPUs.
    maxConcurrency: 3,
    hookTimeout: 60_000,
    // No test leaves a warm verifier daemon behind unless it asks for one (test/daemon.test.ts).
    env: { LEARN_DS_DAEMON: '0' },
  },
});
