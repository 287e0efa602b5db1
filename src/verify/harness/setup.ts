// Runs before every hidden test file: each test starts with real timers and untouched globals,
// whatever the previous test (or the learner's code) left behind, and a test fails when the
// learner's code ended the process, left a timer running behind it (real or virtual), or, in a
// simulated exercise, used the real clock, timers or dice instead of its node's context.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import type { RunnerTestSuite } from 'vitest';
// One import of the harness's internals: a hidden run swaps this file for its bundled copy (kit-bundle.ts).
import {
  ENV,
  runningFile,
  LearnerFailure,
  isLearnDsCode,
  takeMisuses,
  trapAmbientGlobals,
  nodeTimerDelay,
  checkEnded,
  checkStarted,
  fileEnded,
  fileStarted,
  forgetTimeouts,
  resetShrinkBudget,
} from './internal.ts';

// A thread may serve several runs (proofs reuse threads a run left clean: prestarted-pool.ts).
// Each run's setup starts from what the thread's first run found, not from the wrappers an earlier
// run put in place, and with the harness's per-run state reset (in a new thread, already so).
interface FirstFound {
  timers: Pick<typeof globalThis, 'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval'>;
  exit: typeof process.exit;
  useFakeTimers: typeof vi.useFakeTimers;
}
const FIRST_FOUND = Symbol.for('learn-ds.setup.first-found');
const firstFound = ((globalThis as Record<symbol, FirstFound | undefined>)[FIRST_FOUND] ??= {
  timers: { setTimeout, clearTimeout, setInterval, clearInterval },
  exit: process.exit,
  useFakeTimers: vi.useFakeTimers,
});
Object.assign(globalThis, firstFound.timers);
process.exit = firstFound.exit;
vi.useFakeTimers = firstFound.useFakeTimers;
forgetTimeouts();
resetShrinkBudget();

// vitest already turns process.exit into a throw; this also remembers the call, so a test whose
// code swallowed that throw (say, in a catch-all) still fails, with the reason named.
const exitCalls: unknown[] = [];
const vitestExit = process.exit.bind(process);
process.exit = ((code?: unknown) => {
  exitCalls.push(code);
  return vitestExit(code as number | undefined);
}) as typeof process.exit;

// Timers left running by learner code, one rule for every exercise, checked after every check:
// an interval nobody cleared (real or virtual: it never ends by itself; think of a constructor that
// starts one), or a real timeout still pending (hidden tests run on virtual time). A virtual
// timeout still pending may belong to an operation the check left in flight: suites whose
// statements promise more check pendingTimers() themselves. A timer is the learner's when the code
// that called setTimeout/setInterval is theirs, not learn-ds's harness, tests or packages: a
// test's own timer that their code merely triggered, or AbortSignal.timeout()'s, is not theirs.
const liveTimers = new Map<unknown, () => string>();
const ownCode = new Map<string, boolean>();
/**
 * Where learner code called a timer function, as its editor shows it (source-mapped), or
 * undefined when the caller is learn-ds's. Whose code it is is read from V8's call sites, unformatted:
 * formatting a stack (Vite's source-mapping formatter above all) on every setTimeout of every
 * check cost a third of a run's CPU, so the stack is formatted only when a timer left running is reported.
 */
function learnerSite(): (() => string) | undefined {
  const mapped = new Error(); // V8 formats its stack on first read, with the formatter then in force
  const format = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, sites) => sites;
  const sites = new Error().stack as unknown as NodeJS.CallSite[];
  Error.prepareStackTrace = format;
  for (let i = 0; i < sites.length; i++) {
    // Only a path is a file: a node: frame, say node:internal/deps/undici/undici (fetch's
    // timers), or a native one is nobody's, never the learner's.
    const name = sites[i]!.getFileName()?.replace(/^file:\/\//, '');
    if (!name?.startsWith('/') || name === thisFile) continue;
    let learnDs = ownCode.get(name);
    if (learnDs === undefined) ownCode.set(name, (learnDs = isLearnDsCode(name)));
    // The same frame of the same stack (both errors were made here; line 0 is the message).
    return learnDs ? undefined : () => ((mapped.stack ?? '').split('\n')[i + 1] ?? '').trim().replace(/^at /, '');
  }
  return undefined;
}
const thisFile = fileURLToPath(import.meta.url);

type TimerFns = Pick<typeof globalThis, 'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval'>;
/** Replaces the global timer functions (real or fake) by ones that remember the learner's live timers. */
function trackTimers(timeouts: boolean): TimerFns {
  const inner: TimerFns = { setTimeout, clearTimeout, setInterval, clearInterval };
  // Real timers round fractional delays themselves; fake ones need it done for them.
  const delay = (ms?: number) => (timeouts ? ms : (nodeTimerDelay(ms) as number | undefined));
  const wrapped: TimerFns = {
    setTimeout: ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      // Only a real timeout left pending is the learner's fault (a virtual one may be an operation
      // a check left in flight): whose it is is read only then, stacks being the costly part.
      const site = timeouts ? learnerSite() : undefined;
      const handle = inner.setTimeout((...a: unknown[]) => {
        liveTimers.delete(handle);
        fn(...a);
      }, delay(ms), ...args);
      if (site && timeouts) liveTimers.set(handle, () => `setTimeout (${site()})`);
      return handle;
    }) as typeof setTimeout,
    setInterval: ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const site = learnerSite();
      const handle = inner.setInterval(fn, delay(ms), ...args);
      if (site) liveTimers.set(handle, () => `setInterval (${site()})`);
      return handle;
    }) as typeof setInterval,
    clearTimeout: ((handle?: Parameters<typeof clearTimeout>[0]) => {
      liveTimers.delete(handle);
      inner.clearTimeout(handle);
    }) as typeof clearTimeout,
    clearInterval: ((handle?: Parameters<typeof clearInterval>[0]) => {
      liveTimers.delete(handle);
      inner.clearInterval(handle);
    }) as typeof clearInterval,
  };
  for (const name of ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const) {
    // Fake timers mark their functions (hadOwnProperty, clock): uninstalling them reads the marks.
    Object.assign(wrapped[name], inner[name]);
    (globalThis as Record<string, unknown>)[name] = wrapped[name];
  }
  return inner;
}
const real = trackTimers(true);
// Virtual time too, however a suite turns it on: its timers are wrapped the same way.
const useFakeTimers = vi.useFakeTimers.bind(vi);
vi.useFakeTimers = ((config?: Parameters<typeof vi.useFakeTimers>[0]) => {
  const result = useFakeTimers(config);
  trackTimers(false);
  return result;
}) as typeof vi.useFakeTimers;

// Simulated exercises: node code that uses the real timers, clock or dice gets a verdict naming it.
trapAmbientGlobals();

// Names the check under way, so that a run cut short by the timeout can say where it was. Written
// here, in the worker and synchronously, because reporter events are batched and a worker stuck in
// an infinite loop never sends them.
// One descriptor for the run's checks (opening and closing the file for each cost more than a
// small suite's checks): each name overwrites the last, whole.
const report = process.env[ENV.report];
const running = report ? openSync(runningFile(report), 'w') : undefined;
if (running !== undefined) afterAll(() => closeSync(running));
beforeEach(() => {
  if (running === undefined) return;
  ftruncateSync(running);
  writeSync(running, (expect.getState().currentTestName ?? '').split(' > ').join(' › '), 0);
});

// The run's progress for the CLI's bar (progress-writer.ts): this file's checks, each one's end.
function checksIn(suite: Readonly<RunnerTestSuite>): number {
  return suite.tasks.reduce((n, t) => n + (t.type === 'suite' ? checksIn(t) : t.mode === 'skip' || t.mode === 'todo' ? 0 : 1), 0);
}
if (report) {
  // vitest reads the first parameter as fixtures to set up: it must be a pattern, here an empty one.
  beforeAll(({}, suite) => fileStarted(checksIn(suite)));
  beforeEach((context) => {
    checkStarted();
    context.onTestFinished(() => checkEnded());
  });
  afterAll(() => fileEnded());
}

// Authors' proofs (ENV.stopWhen): a mutant's run ends at its first failing check that names the
// mistake; the checks after it are skipped, which is most of the time a proof spends. Further lines
// name the only checks to run (a mutant's next seed: the check that named it on the first, and the
// first check), the others skipped.
const [stopLine, ...onlyChecks] = (process.env[ENV.stopWhen] ?? '').split('\n');
const stopWhen = stopLine?.toLowerCase();
if (stopWhen) {
  let stopped = false;
  beforeEach((context) => {
    const name = expect.getState().currentTestName ?? '';
    if (stopped || (onlyChecks.length > 0 && !onlyChecks.includes(name.split(' > ').join(' › ')))) context.skip();
    context.onTestFailed(({ task }) => {
      const errors = task.result?.errors ?? [];
      const text = [name, ...errors.flatMap((e) => [e.message, (e as { learnerDetail?: unknown }).learnerDetail])];
      if (text.some((t) => typeof t === 'string' && t.toLowerCase().includes(stopWhen))) stopped = true;
    });
  });
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  // Everything is reset before anything is reported, so that one failure does not leak into the next check.
  const exit = exitCalls.splice(0);
  const misuses = takeMisuses();
  const timers = [...liveTimers.values()];
  // Faked ones went with vi.useRealTimers() above; clearing a fake's handle here does nothing.
  for (const handle of liveTimers.keys()) real.clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  liveTimers.clear();
  if (exit.length > 0) {
    const code = exit[0];
    throw new LearnerFailure(
      `your code called process.exit(${code === undefined ? '' : String(code)}); ` +
        'code under test must return or throw, never end the process',
    );
  }
  if (misuses.length > 0) throw new LearnerFailure(misuses[0]!, misuses.slice(1, 3).join('\n') || undefined);
  if (timers.length > 0) {
    throw new LearnerFailure(
      `your code left ${timers.length} timer${timers.length > 1 ? 's' : ''} running after the check ended; ` +
        'clear every timer you start once it is no longer needed',
      timers.slice(0, 3).map((site) => site()).join('\n'),
    );
  }
});
