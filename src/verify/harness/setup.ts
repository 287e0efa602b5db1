// Runs before every hidden test file: each test starts with real timers and untouched globals,
// whatever the previous test (or the learner's code) left behind, and a test fails when the
// learner's code ended the process or left a timer running behind it.
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { ENV, runningFile } from '../protocol.ts';
import { LearnerFailure } from './failure.ts';

const subject = process.env[ENV.subject] ?? '\0';

// vitest already turns process.exit into a throw; this also remembers the call, so a test whose
// code swallowed that throw (say, in a catch-all) still fails, with the reason named.
const exitCalls: unknown[] = [];
const vitestExit = process.exit.bind(process);
process.exit = ((code?: unknown) => {
  exitCalls.push(code);
  return vitestExit(code as number | undefined);
}) as typeof process.exit;

// Real timers created by the learner's file (found by its path in the creation stack) and still
// scheduled. Faked timers are not seen here: tests under virtual time judge those themselves.
const liveTimers = new Map<unknown, string>();
function learnerSite(): string | undefined {
  const stack = new Error().stack ?? '';
  const line = stack.split('\n').find((l) => l.includes(subject));
  return line?.trim().replace(/^at /, '');
}
const real = { setTimeout, clearTimeout, setInterval, clearInterval };
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const site = learnerSite();
  const handle = real.setTimeout((...a: unknown[]) => {
    liveTimers.delete(handle);
    fn(...a);
  }, ms, ...args);
  if (site) liveTimers.set(handle, `setTimeout (${site})`);
  return handle;
}) as typeof setTimeout;
globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const site = learnerSite();
  const handle = real.setInterval(fn, ms, ...args);
  if (site) liveTimers.set(handle, `setInterval (${site})`);
  return handle;
}) as typeof setInterval;
globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
  liveTimers.delete(handle);
  real.clearTimeout(handle);
}) as typeof clearTimeout;
globalThis.clearInterval = ((handle?: Parameters<typeof clearInterval>[0]) => {
  liveTimers.delete(handle);
  real.clearInterval(handle);
}) as typeof clearInterval;

// Names the check under way, so that a run cut short by the timeout can say where it was. Written
// here, in the worker and synchronously, because reporter events are batched and a worker stuck in
// an infinite loop never sends them.
const report = process.env[ENV.report];
beforeEach(() => {
  if (report) writeFileSync(runningFile(report), (expect.getState().currentTestName ?? '').split(' > ').join(' › '));
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  if (exitCalls.length > 0) {
    const code = exitCalls.splice(0)[0];
    throw new LearnerFailure(
      `your code called process.exit(${code === undefined ? '' : String(code)}); ` +
        'code under test must return or throw, never end the process',
    );
  }
  if (liveTimers.size > 0) {
    const sites = [...liveTimers.values()];
    for (const handle of liveTimers.keys()) real.clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
    liveTimers.clear();
    throw new LearnerFailure(
      `your code left ${sites.length} timer${sites.length > 1 ? 's' : ''} running after the check ended; ` +
        'clear every timer you start once it is no longer needed',
      sites.slice(0, 3).join('\n'),
    );
  }
});
