/**
 * The warm verifier's child: one long-lived vitest instance for one exercise, started through
 * vitest's Node API with the very config a cold run uses (hidden.config.ts), re-running the hidden
 * suite each time the parent asks. Everything a cold run sets through the environment is set here
 * on process.env before each run: vitest copies process.env into each new worker, and the
 * reporter (which runs in this process) reads it at the end of the run.
 *
 * A fresh learner module per run: the config keeps vitest's default `isolate: true`, so each run
 * gets a new worker thread with an empty module cache (a proof's runs may share a clean one, whose
 * modules vitest resets: prestarted-pool.ts), and the learner's file (and what it imports) is
 * invalidated in Vite's module graph so that it is transformed again from disk.
 * Spawned by warm-runner.ts; started with LEARN_DS_EXERCISE_DIR and LEARN_DS_TEST_TIMEOUT_MS set.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createVitest, type TestSpecification, type Vitest } from 'vitest/node';
import { ENV } from '../protocol.ts';
import { isRunMessage, type ChildMessage, type RunMessage, type RunPhases } from './protocol.ts';
import { PRESTARTED_POOL_ENV, THREAD_OF_LAST_RUN } from './prestarted-pool.ts';

const configFile = process.env.LEARN_DS_HIDDEN_CONFIG;

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** The learner's file and what it imports (outside node_modules), in every Vite environment and in the worker thread. */
function invalidateLearnerModules(vitest: Vitest, file: string): void {
  const files = new Set<string>([file]);
  for (const project of vitest.projects) {
    for (const environment of Object.values(project.vite.environments)) {
      const queue = [...(environment.moduleGraph.getModulesByFile(file) ?? [])];
      for (let mod = queue.pop(); mod; mod = queue.pop()) {
        for (const imported of mod.importedModules) {
          if (imported.file && !imported.file.includes('/node_modules/') && !files.has(imported.file)) {
            files.add(imported.file);
            queue.push(imported);
          }
        }
      }
    }
  }
  for (const f of files) {
    vitest.invalidateFile(f);
    // A worker thread kept from an earlier run (prestarted-pool.ts) keeps the modules it fetched:
    // these are fetched anew there too (what vitest's watch mode does with a changed file).
    vitest.watcher.invalidates.add(f);
  }
}

async function runOnce(vitest: Vitest, specs: TestSpecification[], message: RunMessage): Promise<{ exitCode: number; phases: RunPhases }> {
  if (message.demo) process.env[ENV.demo] = '1';
  else delete process.env[ENV.demo];
  process.env[ENV.subject] = message.subjectFile;
  process.env[ENV.exports] = message.exports.join(',');
  process.env[ENV.seed] = String(message.seed);
  process.env[ENV.report] = message.reportFile;
  if (message.stopWhen) process.env[ENV.stopWhen] = message.stopWhen;
  else delete process.env[ENV.stopWhen];
  invalidateLearnerModules(vitest, message.subjectFile);
  process.exitCode = undefined;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const { testModules } = await vitest.runTestSpecifications(specs, true);
  const used = process.cpuUsage(cpu);
  const phases: RunPhases = { totalMs: performance.now() - start, collectMs: 0, setupMs: 0, testsMs: 0, cpuMs: (used.user + used.system) / 1000, pool: vitest.config.pool };
  const thread = (globalThis as Record<symbol, unknown>)[THREAD_OF_LAST_RUN];
  if (thread === 'new' || thread === 'reused') phases.thread = thread;
  for (const m of testModules) {
    const d = m.diagnostic();
    phases.collectMs += d.collectDuration;
    phases.setupMs += d.setupDuration;
    phases.testsMs += d.duration;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { exitCode, phases };
}

async function main(): Promise<void> {
  if (!configFile) throw new Error('LEARN_DS_HIDDEN_CONFIG is not set');
  // Same settings as `vitest run --config hidden.config.ts`; `watch: false` so that Vite does not
  // watch the exercise folder (this process reruns only when asked).
  // The config's one fresh thread per run, that thread started ahead of each run (prestarted-pool.ts);
  // LEARN_DS_PRESTART=0 keeps vitest's own pool (to compare).
  if (process.env.LEARN_DS_PRESTART !== '0') process.env[PRESTARTED_POOL_ENV] = '1';
  const vitest = await createVitest('test', { config: configFile, watch: false });
  await vitest.standalone();
  const specs = await vitest.globTestSpecifications();
  // The demo (demo.ts, which the config's include leaves out unless ENV.demo is set) as one more spec.
  const demoFile = join(process.env[ENV.exerciseDir] ?? '', 'demo.ts');
  const demoSpecs = existsSync(demoFile) ? [vitest.getRootProject().createSpecification(demoFile)] : [];
  // Runs one at a time: the parent never overlaps them, but a queue keeps this true regardless.
  let queue = Promise.resolve();
  process.on('message', (raw: unknown) => {
    if (!isRunMessage(raw)) return;
    queue = queue.then(async () => {
      const result = await runOnce(vitest, raw.demo ? demoSpecs : specs, raw).catch(() => ({ exitCode: 1, phases: { totalMs: 0, collectMs: 0, setupMs: 0, testsMs: 0, cpuMs: 0, pool: vitest.config.pool } }));
      send({ type: 'done', id: raw.id, ...result });
    });
  });
  send({ type: 'ready' });
}

// Without its parent there is nobody to serve: leave at once, with the worker threads and anything
// the learner's code started (this process leads its own group). orphan-guard.ts catches the rest.
process.on('disconnect', () => {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(0);
  }
});
main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
