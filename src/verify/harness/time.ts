/**
 * Virtual time for hidden suites. Learners read time with Date.now() or performance.now() and wait
 * with setTimeout (or AbortSignal.timeout); here all of those follow a fake clock that tests move by
 * hand, so a minute of backoff is judged in microseconds and no test ever sleeps for real.
 */
import { vi } from 'vitest';
import { describeThrown } from './failure.ts';
import { show } from './show.ts';

// Captured before any test fakes timers: a real macrotask lets every pending microtask run.
const realSetImmediate = globalThis.setImmediate;

/** Where virtual time starts: a realistic epoch, so code that treats 0 as "unset" is not tripped. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1);

export function useVirtualTime(): void {
  vi.useFakeTimers({
    now: VIRTUAL_EPOCH,
    toFake: [
      'Date', 'performance', 'hrtime',
      'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
    ],
  });
  fakeAbortSignalTimeout();
}

/**
 * useVirtualTime() for each run of a suite's loop, cheaper once virtual time is on: the fake clock
 * is reset to where a new one starts (no timer, Date.now() at the virtual epoch, performance.now()
 * at 0) rather than replaced by a new clock with every global faked anew (0.2–0.5 ms each).
 * useVirtualTime() itself whenever the reset clock is not exactly that.
 */
export function freshVirtualTime(): void {
  if (vi.isFakeTimers()) {
    vi.clearAllTimers();
    if (virtualNow() === 0 && performance.now() === 0) return;
  }
  useVirtualTime();
}

/** The fake clock under Date while virtual time is on (vitest's fake timers keep it there). */
function fakeClock(): { timers?: Record<string, { callAt: number }> } | undefined {
  return (Date as unknown as { clock?: { timers?: Record<string, { callAt: number }> } }).clock;
}

/** Whether nextTimerAt() can read the fake clock (virtual time is on, and its clock is where it is looked for). */
export function canReadTimers(): boolean {
  return fakeClock() !== undefined;
}

/**
 * When the fake clock's next timer is due (ms since the epoch, as Date.now()); undefined when none
 * is pending or the clock cannot be read (canReadTimers() tells which). A suite's loop that looks
 * often may move the clock straight on when nothing is due before its next look, without
 * advance()'s probe timer and real macrotasks.
 */
export function nextTimerAt(): number | undefined {
  const timers = fakeClock()?.timers;
  let at: number | undefined;
  for (const id in timers) {
    const callAt = timers[id]!.callAt;
    if (at === undefined || callAt < at) at = callAt;
  }
  return at;
}

// AbortSignal.timeout() runs on Node's internal timers, which fake timers do not reach: under
// virtual time its signal would abort in real time, or never. While time is virtual it is replaced
// by a faked setTimeout around an AbortController (a spy, so the setup file's restoreAllMocks puts
// the real one back). Like the real one, its timer is unref'd: nobody can clear it, so it is not
// counted by pendingTimers() as a timer left behind (settle() still runs it).
const realAbortSignalTimeout = AbortSignal.timeout.bind(AbortSignal);
/** Timers of faked AbortSignal.timeout() calls that have not fired yet, on the current fake clock. */
const unrefTimers = new Set<unknown>();

function fakeAbortSignalTimeout(): void {
  unrefTimers.clear();
  if (vi.isMockFunction(AbortSignal.timeout)) return;
  vi.spyOn(AbortSignal, 'timeout').mockImplementation((delay: number): AbortSignal => {
    // After vi.useRealTimers() within a test, the real thing again.
    if (!vi.isFakeTimers()) return realAbortSignalTimeout(delay);
    // The same argument checks as Node's (validateUint32): a whole number of ms, 0 to 2^32 - 1.
    if (typeof delay !== 'number') {
      throw Object.assign(new TypeError(`The "delay" argument must be of type number. Received ${show(delay)}`), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    if (!Number.isInteger(delay) || delay < 0 || delay > 4294967295) {
      const must = Number.isInteger(delay) ? '>= 0 && <= 4294967295' : 'an integer';
      throw Object.assign(new RangeError(`The value of "delay" is out of range. It must be ${must}. Received ${show(delay)}`), { code: 'ERR_OUT_OF_RANGE' });
    }
    const controller = new AbortController();
    const timer: unknown = setTimeout(() => {
      unrefTimers.delete(timer);
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, delay);
    unrefTimers.add(timer);
    return controller.signal;
  });
}

/**
 * Node never fires a timer early: a 2.5 ms timeout fires once 3 whole milliseconds have passed, and
 * one under 1 ms after 1 ms. Fake timers truncate the delay instead (2.5 ms fires at 2 ms, when
 * Date.now() says less time went by than was asked), so under virtual time a fractional delay is
 * rounded up as Node effectively does. A delay of 0 stays 0: suites rely on it running at once.
 */
export function nodeTimerDelay(ms: unknown): unknown {
  return typeof ms === 'number' && ms > 0 && ms <= 2_147_483_647 && !Number.isInteger(ms) ? Math.ceil(ms) : ms;
}

/** Virtual milliseconds since the suite's epoch. */
export function virtualNow(): number {
  return Date.now() - VIRTUAL_EPOCH;
}

/** Lets every queued promise callback run, without moving the clock. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/**
 * Moves the clock forward by `ms`, firing due timers one at a time and letting the promise callbacks
 * each one triggers run before the next. (Timer by timer with a probe timer marking the target,
 * rather than vitest's async advance, which waits a real millisecond for every timer it fires.)
 */
export async function advance(ms: number): Promise<void> {
  let reached = false;
  setTimeout(() => {
    reached = true;
  }, ms);
  await flushMicrotasks();
  while (!reached) {
    vi.advanceTimersToNextTimer();
    await flushMicrotasks();
  }
}

export type Settled<T> =
  | { status: 'fulfilled'; value: T; atMs: number }
  | { status: 'rejected'; reason: unknown; atMs: number }
  | { status: 'hung'; why: 'no-timers' | 'time-limit'; atMs: number };

/**
 * Runs virtual time until `promise` settles. It never waits for real: when nothing is scheduled
 * and the promise is still pending, or `limitMs` of virtual time went by, it reports it as hung.
 */
export async function settle<T>(promise: Promise<T>, limitMs = 24 * 3600_000): Promise<Settled<T>> {
  let outcome: Settled<T> | undefined;
  promise.then(
    (value) => { outcome = { status: 'fulfilled', value, atMs: virtualNow() }; },
    (reason: unknown) => { outcome = { status: 'rejected', reason, atMs: virtualNow() }; },
  );
  const deadline = virtualNow() + limitMs;
  for (;;) {
    await flushMicrotasks();
    if (outcome) return outcome;
    if (vi.getTimerCount() === 0) return { status: 'hung', why: 'no-timers', atMs: virtualNow() };
    if (virtualNow() >= deadline) return { status: 'hung', why: 'time-limit', atMs: virtualNow() };
    vi.advanceTimersToNextTimer();
  }
}

/** How a promise settled, in words for a failure message. */
export function describeSettled(s: Settled<unknown>): string {
  switch (s.status) {
    case 'fulfilled':
      return `resolved with ${show(s.value)} at ${s.atMs} ms`;
    case 'rejected':
      return `rejected with ${describeThrown(s.reason)} at ${s.atMs} ms`;
    case 'hung':
      return s.why === 'no-timers'
        ? `never settled (still pending at ${s.atMs} ms with no timer scheduled: is a promise never resolved?)`
        : `was still pending after ${s.atMs} ms of virtual time`;
  }
}

/**
 * Timers still scheduled (e.g. a backoff wait that was never cleared); those of
 * AbortSignal.timeout() are not counted (like the real ones, they are unref'd and cannot be cleared).
 */
export function pendingTimers(): number {
  // AbortSignal.timeout()'s timers are unref'd and cannot be cleared: not left behind by anyone.
  return Math.max(0, vi.getTimerCount() - unrefTimers.size);
}
