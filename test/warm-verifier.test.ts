/**
 * The warm verifier (watch's) judges exactly as the cold one (verify's): the same verdict for the
 * same file and seed, over the reference, the starter, every mutant and every kind of broken file;
 * a changed file is judged afresh; an infinite loop is cut by the same timeout, after which a new
 * child serves the next run. Real runs, against the retry-backoff exercise.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import type { Verdict } from '../src/verify/verdict.ts';
import { verify } from '../src/verify/verify.ts';
import { runDemo } from '../src/verify/demo.ts';
import { PRESTARTED_POOL } from '../src/verify/warm/prestarted-pool.ts';
import { WarmSuiteRunner } from '../src/verify/warm/warm-runner.ts';
import { daemonRunner, stopDaemon } from '../src/verify/daemon/client.ts';
import { mutantsOf } from './support/mutants.ts';
import { tempDir } from './support/cli.ts';

const fixtures = fileURLToPath(new URL('./fixtures/bad-input/', import.meta.url));
const exercise = loadCatalog().byId.get('retry-backoff')!;
const SEED = 1;

const cases: Array<[string, string]> = [
  ['the reference solution', exercise.solutionPath],
  ['the starter', exercise.starterPath],
  ...mutantsOf(exercise.dir).map((m): [string, string] => [`mutant ${m.name}`, m.file]),
  ...[
    'exit-in-call.ts',
    'exit-at-load.ts',
    'exit-swallowed.ts',
    'syntax-error.ts',
    'missing-export.ts',
    'throws-non-error.ts',
    'unhandled-rejection.ts',
    'leaves-timer.ts',
    'throws-non-error-in-call.ts',
    'empty.ts',
    'prints-megabytes.ts',
  ].map((f): [string, string] => [f, join(fixtures, f)]),
];

const judgeWith = (file: string, runner?: WarmSuiteRunner, timeoutSeconds = 40, seed = SEED): Promise<Verdict> =>
  verify({ exercise, file, shownFile: 'learner.ts', seed, timeoutSeconds }, runner ? (r) => runner.run(r) : undefined);

/** Runs `jobs` with at most `limit` at a time: cold runs are whole processes on a small machine. */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

const isAlive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.includes('Z');

/** Cold verdicts of every case, made once for both the warm runner's and the daemon's comparisons. */
let coldVerdicts: Promise<Map<string, Verdict>> | undefined;
const coldOnce = () =>
  (coldVerdicts ??= pool(cases.map(([, file]) => () => judgeWith(file)), 3).then((verdicts) => new Map(cases.map(([name], i) => [name, verdicts[i]!]))));

describe('warm and cold verifiers agree', () => {
  const runner = new WarmSuiteRunner();
  let cold = new Map<string, Verdict>();
  beforeAll(async () => {
    cold = await coldOnce();
  }, 240_000);
  afterAll(() => runner.close());

  test.for(cases)('%s', async ([name, file]) => {
    const warm = await judgeWith(file, runner);
    expect(warm).toEqual(cold.get(name));
  });
});

describe("a runner that reuses clean threads (proofs') agrees with cold runs too", () => {
  const runner = new WarmSuiteRunner({ reuseThreads: true });
  let cold = new Map<string, Verdict>();
  beforeAll(async () => {
    cold = await coldOnce();
  }, 240_000);
  afterAll(() => runner.close());

  // In order, the reference first (as in a proof): each case runs in a thread kept from the run
  // before unless that run left something running or changed a global.
  test.for(cases)('%s', async ([name, file]) => {
    const warm = await judgeWith(file, runner);
    expect(warm).toEqual(cold.get(name));
  });

  test('a thread serves the next run only if its run left no timer running and no global or built-in changed', async () => {
    const dir = tempDir();
    const correct = `export { retry } from '${join(fixtures, 'helpers', 'correct-retry.ts')}';\n`;
    // Correct, but with an interval that the harness does not see (it tracks the global timer
    // functions, and clears the learner's timers after each check): it would fire in the next run.
    const leaves = join(dir, 'leaves-interval.ts');
    writeFileSync(leaves, `import { setInterval as every } from 'node:timers';\n${correct}every(() => {}, 1_000);\n`);
    // Correct, but replaces Math.random for whatever runs after it in the thread.
    const patches = join(dir, 'patches-random.ts');
    writeFileSync(patches, `${correct}Math.random = () => 0.5;\n`);
    const threadOf = async (file: string) => {
      await judgeWith(file, runner);
      return runner.lastTimings?.phases?.thread;
    };
    await threadOf(exercise.solutionPath);
    expect(await threadOf(exercise.solutionPath)).toBe('reused');
    await threadOf(leaves);
    expect(await threadOf(exercise.solutionPath)).toBe('new');
    expect(await threadOf(exercise.solutionPath)).toBe('reused');
    await threadOf(patches);
    expect(await threadOf(exercise.solutionPath)).toBe('new');
    expect(await threadOf(exercise.starterPath)).toBe('reused');
    // Runs for learners never reuse one.
    const learners = new WarmSuiteRunner();
    try {
      for (let i = 0; i < 2; i++) {
        await judgeWith(exercise.solutionPath, learners);
        expect(learners.lastTimings?.phases?.thread).toBe('new');
      }
    } finally {
      learners.close();
    }
  });
});

describe('the verifier daemon (verify\'s warm runs) agrees with cold runs too', () => {
  // A daemon of this test's own (its socket in a folder of ours), gone when the test ends.
  const saved = { dir: process.env.XDG_RUNTIME_DIR, daemon: process.env.LEARN_DS_DAEMON };
  const run = daemonRunner({ fallback: () => Promise.reject(new Error('the daemon did not answer: a cold fallback would hide it')) });
  let cold = new Map<string, Verdict>();
  beforeAll(async () => {
    process.env.XDG_RUNTIME_DIR = tempDir('learn-ds-daemon-');
    process.env.LEARN_DS_DAEMON = '1';
    cold = await coldOnce();
  }, 240_000);
  afterAll(async () => {
    await stopDaemon();
    if (saved.dir === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved.dir;
    process.env.LEARN_DS_DAEMON = saved.daemon;
  });

  test.for(cases)('%s', async ([name, file]) => {
    const warm = await verify({ exercise, file, shownFile: 'learner.ts', seed: SEED, timeoutSeconds: 40 }, run);
    expect(warm).toEqual(cold.get(name));
  });
});

describe('the warm verifier', () => {
  const runner = new WarmSuiteRunner();
  afterAll(() => runner.close());

  test('judges the file as it is now: every run imports it afresh, and what it imports', async () => {
    const dir = tempDir();
    const file = join(dir, 'retry-backoff.ts');
    const impl = join(dir, 'impl.ts');
    copyFileSync(exercise.starterPath, file);
    expect((await judgeWith(file, runner)).passed).toBe(false);
    copyFileSync(exercise.solutionPath, file);
    expect((await judgeWith(file, runner)).passed).toBe(true);
    copyFileSync(exercise.starterPath, file);
    expect((await judgeWith(file, runner)).passed).toBe(false);
    // A learner file that re-exports from a helper of its own: a change to the helper counts too.
    writeFileSync(file, "export { retry } from './impl.ts';\n");
    copyFileSync(exercise.starterPath, impl);
    expect((await judgeWith(file, runner)).passed).toBe(false);
    copyFileSync(exercise.solutionPath, impl);
    expect((await judgeWith(file, runner)).passed).toBe(true);
    // Each run's fresh thread was started ahead of it (a pool given to vitest the wrong way is
    // silently replaced by its own: this once went unnoticed).
    expect(runner.lastTimings?.phases?.pool).toBe(PRESTARTED_POOL);
  });

  test('each run has its own seed, as a cold run does: the tests see the seed of their run', async () => {
    // A learner file that says which seed its run has: the message of every failed check names it.
    const file = join(tempDir(), 'retry-backoff.ts');
    writeFileSync(file, 'export function retry(): never {\n  throw new Error(`seed ${process.env.LEARN_DS_SEED}`);\n}\n');
    for (const seed of [11, 12]) {
      const verdict = await judgeWith(file, runner, 40, seed);
      expect(verdict.seed).toBe(seed);
      const messages = verdict.checks.filter((c) => !c.passed).map((c) => c.message);
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.some((m) => m?.includes(`seed ${seed}`))).toBe(true);
      expect(messages.some((m) => m?.includes(`seed ${seed === 11 ? 12 : 11}`))).toBe(false);
    }
  });

  test("a proof's run (stopWhen) skips the checks after the first failure naming the mistake, warm as cold; the next run is whole", async () => {
    // The mutant whose named failure comes earliest, so that there are checks left to skip.
    const full = new Map<ReturnType<typeof mutantsOf>[number], Verdict>();
    for (const m of mutantsOf(exercise.dir)) full.set(m, await judgeWith(m.file, runner));
    const named = (c: Verdict['checks'][number], text: string) => !c.passed && `${c.name}\n${c.message}\n${c.detail ?? ''}`.toLowerCase().includes(text.toLowerCase());
    const [mutant, whole] = [...full].sort(([a, va], [b, vb]) => va.checks.findIndex((c) => named(c, a.expect)) - vb.checks.findIndex((c) => named(c, b.expect)))[0]!;
    const at = whole.checks.findIndex((c) => named(c, mutant.expect));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(whole.checks.length - 1);
    const request = { exercise, file: mutant.file, shownFile: 'learner.ts', seed: SEED, timeoutSeconds: 40, stopWhen: mutant.expect.toUpperCase() };
    const [warm, cold] = [await verify(request, (r) => runner.run(r)), await verify(request)];
    expect(warm).toEqual(cold);
    // Up to the named failure, the very verdict of a whole run; after it, every check skipped.
    expect(warm.checks.slice(0, at + 1)).toEqual(whole.checks.slice(0, at + 1));
    expect(warm.checks.slice(at + 1).map((c) => c.message)).toEqual(whole.checks.slice(at + 1).map(() => 'this check was skipped'));
    // The warm child forgets the text: the next run of the same file is whole again.
    expect(await judgeWith(mutant.file, runner)).toEqual(whole);
  }, 120_000);

  test("a demo drawn warm (a proof draws it in its warm child) is the cold one, pictures and verdict; the next run is the hidden suite's", async () => {
    for (const file of [exercise.solutionPath, exercise.starterPath]) {
      const request = { exercise, file, shownFile: 'learner.ts', seed: SEED, timeoutSeconds: 40 };
      const [warm, cold] = [await runDemo(request, (r) => runner.run(r)), await runDemo(request)];
      expect(warm).toEqual(cold);
      if (file === exercise.solutionPath) expect(warm.pictures.length).toBeGreaterThan(0);
    }
    const after = await judgeWith(exercise.solutionPath, runner);
    expect(after.passed).toBe(true);
    expect(after.checks.length).toBeGreaterThan(3);
  }, 120_000);

  test('an infinite loop is cut at the timeout with the cold verdict; the child is replaced and the next run works', async () => {
    const loop = join(fixtures, 'infinite-loop.ts');
    // A limit in CPU time: 3 s keeps the test short however busy the machine is.
    await runner.prepare({ exerciseDir: exercise.dir, timeoutMs: 3_000 });
    const before = runner.childPid!;
    const [warm, cold] = [await judgeWith(loop, runner, 3), await judgeWith(loop, undefined, 3)];
    expect(warm.passed).toBe(false);
    expect(warm.checks[0]!.message).toMatch(/used 3 s of CPU time while checking ".+": is there an infinite loop/);
    expect(warm).toEqual(cold);
    expect(isAlive(before)).toBe(false);
    const after = await judgeWith(exercise.solutionPath, runner);
    expect(after.passed).toBe(true);
    expect(runner.childPid).not.toBe(before);
  }, 120_000);

  test('after close, a run is interrupted and no child is left', async () => {
    const own = new WarmSuiteRunner();
    await own.prepare({ exerciseDir: exercise.dir, timeoutMs: 40_000 });
    const pid = own.childPid!;
    expect(isAlive(pid)).toBe(true);
    own.close();
    const verdict = await judgeWith(exercise.solutionPath, own);
    expect(verdict.interrupted).toBe(true);
    await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
  });
});
