/**
 * The vitest configuration of a hidden-suite run. The verifier starts vitest with this file and
 * names the exercise and the learner's file through the environment (see protocol.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { ENV } from './protocol.ts';
import { subjectPlugin } from './subject-plugin.ts';
import { importGuard } from './import-guard.ts';
import { preloadInThreads, prestartedThreads, PRESTARTED_POOL_ENV } from './warm/prestarted-pool.ts';
import { kitBundle, kitPlugin, usesFastCheck } from './kit-bundle.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const exerciseDir = process.env[ENV.exerciseDir];
if (!exerciseDir) throw new Error(`${ENV.exerciseDir} is not set`);
// The harness and the simulator, bundled and loaded natively (kit-bundle.ts); the sources if not.
const kit = await kitBundle();
if (kit) {
  if (usesFastCheck(exerciseDir)) preloadInThreads(kit.preloadWithFastCheck, ['fast-check']);
  else preloadInThreads(kit.preload);
}

export default defineConfig({
  root: exerciseDir,
  cacheDir: here('../../node_modules/.cache/learn-ds-vite'),
  // Learners import the simulation kit's types (and, if they like, its helpers) by this name;
  // hidden suites import the harness by name, and the learner's exports as learn-ds/subject/<id>.
  resolve: { alias: { 'learn-ds/sim': here('../sim/index.ts'), 'learn-ds/harness': here('./harness/index.ts') } },
  // Learner code may not import learn-ds's references, hidden tests or mutants (import-guard.ts).
  plugins: [...(kit ? [kitPlugin(kit)] : []), subjectPlugin(exerciseDir, here('./harness/subject.ts')), importGuard()],
  test: {
    // `learn-ds run` shows the exercise's demo instead of judging it.
    include: process.env[ENV.demo] ? ['demo.ts'] : ['tests/**/*.test.ts'],
    reporters: [here('./reporter.ts')],
    setupFiles: [here('./harness/setup.ts')],
    // One worker thread: a hidden suite is small, and a thread dies with the child process,
    // so a kill after a timeout leaves no orphan behind. The warm child's is started ahead of its
    // run (prestarted-pool.ts). Chosen here: vitest merges a pool object given to createVitest
    // into this file's string and keeps the string.
    pool: process.env[PRESTARTED_POOL_ENV] === '1' ? (prestartedThreads as unknown as 'threads') : 'threads',
    maxWorkers: 1,
    fileParallelism: false,
    // A test stuck on a promise fails alone, well before the hard limit kills the whole run.
    testTimeout: Number(process.env[ENV.testTimeoutMs] ?? 5_000),
    hookTimeout: Number(process.env[ENV.testTimeoutMs] ?? 5_000),
    teardownTimeout: 1_000,
    watch: false,
  },
});
