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

/**
 * Starts `jobs` in order with at most `limit` at a time (cold runs are whole processes on a small
 * machine) and gives each job's own promise, so that a test waits for its case alone.
 */
function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Array<Promise<T>> {
  const settle = jobs.map(() => {
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      await jobs[i]!().then(settle[i]!.resolve, settle[i]!.reject);
    }
  };
  for (let w = 0; w < limit; w++) void worker();
  // A case whose test has not asked yet must not count as an unhandled rejection.
  for (const { promise } of settle) promise.catch(() => {});
  return settle.map((s) => s.promise);
}

const isAlive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.includes('Z');

/**
 * Cold verdicts of every case, made once for every comparison (the warm runner's, the reusing
 * runner's, the daemon's) and the broken files' messages, in the case's order, three at a time,
 * while the first warm runs go on beside them: each test waits for its own case's cold verdict.
 */
let coldVerdicts: Map<string, Promise<Verdict>> | undefined;
const coldOnce = (): Map<string, Promise<Verdict>> => {
  if (!coldVerdicts) {
    const verdicts = pool(cases.map(([, file]) => () => judgeWith(file)), 3);
    coldVerdicts = new Map(cases.map(([name], i) => [name, verdicts[i]!]));
  }
  return coldVerdicts;
};
const coldOf = (name: string): Promise<Verdict> => coldOnce().get(name)!;

describe('warm and cold verifiers agree', () => {
  const runner = new WarmSuiteRunner();
  beforeAll(() => void coldOnce());
  afterAll(() => runner.close());

  test.for(cases)('%s', { timeout: 240_000 }, async ([name, file]) => {
    const warm = await judgeWith(file, runner);
    expect(warm).toEqual(await coldOf(name));
  });
});

/** Failed checks' names, messages and details, as a learner reads them. */
const failedMessages = (verdict: Verdict): string =>
  verdict.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}\n${c.detail ?? ''}`).join('\n');

// The same runs of test/bad-input.test.ts's broken files (retry-backoff, seed 1, 40 s) as the cold
// verdicts above: their messages are checked here, on those verdicts, rather than judged twice.
describe('a broken learner file gets a clear failing verdict (the cold verdicts above)', () => {
  test.for([
    ['exit-in-call.ts', /your code called process\.exit\(0\)/],
    ['exit-at-load.ts', /process\.exit\(0\)/],
    ['exit-swallowed.ts', /your code called process\.exit\(0\)/],
    ['missing-export.ts', /does not export `retry`/],
    ['throws-non-error.ts', /could not be loaded: the string "boom" \(not an Error\)/],
    ['unhandled-rejection.ts', /error that nothing handled.*nobody handles me/],
    ['leaves-timer.ts', /left 1 timer running.*\n.*setInterval/],
    ['throws-non-error-in-call.ts', /not an Error/],
  ] as const)('%s', { timeout: 240_000 }, async ([name, message]) => {
    const verdict = await coldOf(name);
    expect(verdict.passed).toBe(false);
    expect(failedMessages(verdict)).toMatch(message);
  });

  test('code that prints megabytes is judged on what it does, not on its noise', async () => {
    const verdict = await coldOf('prints-megabytes.ts');
    expect(verdict.passed, failedMessages(verdict)).toBe(true);
  }, 240_000);
});

describe('a runner that gives every run a new thread (LEARN_DS_REUSE_THREADS=0) agrees with cold runs too', () => {
  const runner = new WarmSuiteRunner({ reuseThreads: false });
  afterAll(() => runner.close());

  // The warm runner's default above keeps a thread a run left clean for the next run; this is the
  // path of every run that did not, and of LEARN_DS_REUSE_THREADS=0.
  test.for(cases)('%s', { timeout: 240_000 }, async ([name, file]) => {
    const warm = await judgeWith(file, runner);
    expect(warm).toEqual(await coldOf(name));
  });

  test('by default a thread serves the next run only if its run left nothing running and no global or built-in changed', async () => {
    const dir = tempDir();
    const correct = `export { retry } from '${join(fixtures, 'helpers', 'correct-retry.ts')}';\n`;
    // Correct, but with an interval that the harness does not see (it tracks the global timer
    // functions, and clears the learner's timers after each check): it would fire in the next run.
    const leaves = join(dir, 'leaves-interval.ts');
    writeFileSync(leaves, `import { setInterval as every } from 'node:timers';\n${correct}every(() => {}, 1_000);\n`);
    // Correct, but replaces Math.random for whatever runs after it in the thread.
    const patches = join(dir, 'patches-random.ts');
    writeFileSync(patches, `${correct}Math.random = () => 0.5;\n`);
    const reusing = new WarmSuiteRunner();
    const threadOf = async (file: string) => {
      await judgeWith(file, reusing);
      return reusing.lastTimings?.phases?.thread;
    };
    await threadOf(exercise.solutionPath);
    expect(await threadOf(exercise.solutionPath)).toBe('reused');
    await threadOf(leaves);
    expect(await threadOf(exercise.solutionPath)).toBe('new');
    expect(await threadOf(exercise.solutionPath)).toBe('reused');
    await threadOf(patches);
    expect(await threadOf(exercise.solutionPath)).toBe('new');
    expect(await threadOf(exercise.starterPath)).toBe('reused');
    reusing.close();
    // Without reuse, every run has a new one.
    const fresh = new WarmSuiteRunner({ reuseThreads: false });
    try {
      for (let i = 0; i < 2; i++) {
        await judgeWith(exercise.solutionPath, fresh);
        expect(fresh.lastTimings?.phases?.thread).toBe('new');
      }
    } finally {
      fresh.close();
    }
  });

  test('learner code importing fast-check, which the thread preloads for the suites, keeps its thread; fast-check\'s global configuration is put back before each run', async () => {
    // token-bucket: its suites use fast-check, so its threads preload it.
    const bucket = loadCatalog().byId.get('token-bucket')!;
    const dir = tempDir();
    const correct = `import fc from 'fast-check';\n${readFileSync(bucket.solutionPath, 'utf8')}\n`;
    // Correct, and configures fast-check for whatever runs after it in the thread.
    const configures = join(dir, 'configures.ts');
    writeFileSync(configures, `${correct}fc.configureGlobal({ numRuns: 1, seed: 42 });\n`);
    // Correct, and does not load if fast-check comes configured by an earlier run.
    const expectsDefaults = join(dir, 'expects-defaults.ts');
    writeFileSync(expectsDefaults, `${correct}if (fc.readConfigureGlobal().numRuns !== undefined) throw new Error('fast-check was configured by an earlier run');\n`);
    const own = new WarmSuiteRunner();
    const judge = (file: string) => verify({ exercise: bucket, file, shownFile: 'learner.ts', seed: SEED, timeoutSeconds: 40 }, (r) => own.run(r));
    try {
      const first = await judge(configures);
      expect(first.passed, failedMessages(first)).toBe(true);
      const verdict = await judge(expectsDefaults);
      expect(verdict.passed, failedMessages(verdict)).toBe(true);
      expect(own.lastTimings?.phases?.thread).toBe('reused');
      expect((await judge(configures)).passed).toBe(true);
      expect(own.lastTimings?.phases?.thread).toBe('reused');
    } finally {
      own.close();
    }
  });

  test('once learner code imports a package, every run gets a new thread (a package keeps its state)', async () => {
    const own = new WarmSuiteRunner();
    try {
      const file = join(fixtures, '..', 'reuse', 'imports-package.ts');
      for (let i = 0; i < 2; i++) {
        expect((await judgeWith(file, own)).passed).toBe(true);
        expect(own.lastTimings?.phases?.thread).toBe('new');
      }
    } finally {
      own.close();
    }
  });
});

describe('the verifier daemon (verify\'s warm runs) agrees with cold runs too', () => {
  // A daemon of this test's own (its socket in a folder of ours), gone when the test ends.
  const saved = { dir: process.env.XDG_RUNTIME_DIR, daemon: process.env.LEARN_DS_DAEMON };
  const run = daemonRunner({ fallback: () => Promise.reject(new Error('the daemon did not answer: a cold fallback would hide it')) });
  beforeAll(() => {
    process.env.XDG_RUNTIME_DIR = tempDir('learn-ds-daemon-');
    process.env.LEARN_DS_DAEMON = '1';
  });
  afterAll(async () => {
    await stopDaemon();
    if (saved.dir === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved.dir;
    process.env.LEARN_DS_DAEMON = saved.daemon;
  });

  test.for(cases)('%s', { timeout: 240_000 }, async ([name, file]) => {
    const warm = await verify({ exercise, file, shownFile: 'learner.ts', seed: SEED, timeoutSeconds: 40 }, run);
    expect(warm).toEqual(await coldOf(name));
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
    // The mutant whose named failure comes earliest, so that there are checks left to skip. Its
    // whole verdict: the cold one above (which every warm run of it was checked to equal).
    const full = new Map<ReturnType<typeof mutantsOf>[number], Verdict>();
    for (const m of mutantsOf(exercise.dir)) full.set(m, await coldOf(`mutant ${m.name}`));
    const named = (c: Verdict['checks'][number], text: string) => !c.passed && `${c.name}\n${c.message}\n${c.detail ?? ''}`.toLowerCase().includes(text.toLowerCase());
    const [mutant, whole] = [...full].sort(([a, va], [b, vb]) => va.checks.findIndex((c) => named(c, a.expect)) - vb.checks.findIndex((c) => named(c, b.expect)))[0]!;
    const at = whole.checks.findIndex((c) => named(c, mutant.expect));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(whole.checks.length - 1);
    const request = { exercise, file: mutant.file, shownFile: 'learner.ts', seed: SEED, timeoutSeconds: 40, stopWhen: mutant.expect.toUpperCase() };
    const [warm, cold] = await Promise.all([verify(request, (r) => runner.run(r)), verify(request)]);
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
      const [warm, cold] = await Promise.all([runDemo(request, (r) => runner.run(r)), runDemo(request)]);
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
    const [warm, cold] = await Promise.all([judgeWith(loop, runner, 3), judgeWith(loop, undefined, 3)]);
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
