import { getEventListeners } from 'node:events';
import { test } from 'vitest';
import {
  advance,
  check,
  describeSettled,
  describeThrown,
  fail,
  flushMicrotasks,
  pendingTimers,
  settle,
  show,
  useVirtualTime,
  virtualNow,
} from 'learn-ds/harness';
import type { Deadline as D } from 'learn-ds/subject/deadline-propagation';
import { Deadline, DeadlineExceededError, callWithDeadline } from 'learn-ds/subject/deadline-propagation';

/**
 * How late a signal may abort after its deadline: 1 ms, so that code which rounds up, or checks
 * the clock every millisecond, passes as well as code whose timer fires exactly on time.
 */
const SLACK = 1;

// ---------------------------------------------------------------------------------------------
// Calling the learner's code: anything it throws becomes a message that says which call threw.
// ---------------------------------------------------------------------------------------------

function isTodo(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('TODO');
}

function attempt<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (isTodo(error)) fail(`${what} is not implemented yet (it threw ${describeThrown(error)})`);
    return fail(`${what} threw ${describeThrown(error)}`);
  }
}

function signalOf(d: D, what: string): AbortSignal {
  const signal = attempt(`reading ${what}.signal`, () => d.signal);
  check(signal instanceof AbortSignal, () => `${what}.signal was ${show(signal)}; expected an AbortSignal (from an AbortController, or AbortSignal.timeout/any)`);
  return signal;
}

function after(ms: number, parent?: AbortSignal): D {
  const what = `Deadline.after(${ms}${parent ? ', parent' : ''})`;
  const d = attempt(what, () => Deadline.after(ms, parent));
  signalOf(d, what);
  return d;
}

function fromHeader(value: string, parent?: AbortSignal): D {
  const what = `Deadline.fromHeader(${show(value)}${parent ? ', parent' : ''})`;
  const d = attempt(what, () => Deadline.fromHeader(value, parent));
  signalOf(d, what);
  return d;
}

function childOf(d: D, budgetMs?: number): D {
  const what = `child(${budgetMs ?? ''})`;
  const c = attempt(what, () => d.child(budgetMs));
  signalOf(c, what);
  return c;
}

function remainingOf(d: D, what = 'remaining()'): number {
  const r = attempt(what, () => d.remaining());
  check(typeof r === 'number', () => `${what} returned ${show(r)}; expected a number of milliseconds`);
  return r;
}

function headerOf(d: D): string {
  return attempt('toHeader()', () => d.toHeader());
}

/** Calls callWithDeadline, turning a synchronous throw or a non-promise result into a message. */
function call<T>(deadline: D, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  let result: unknown;
  try {
    result = callWithDeadline(deadline, work);
  } catch (error) {
    if (isTodo(error)) fail(`callWithDeadline is not implemented yet (it threw ${describeThrown(error)})`);
    fail(
      `callWithDeadline threw synchronously (${describeThrown(error)}) instead of returning a promise; ` +
        'every failure must come out as a rejection of the promise it returns',
    );
  }
  check(
    typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function',
    () => `callWithDeadline returned ${show(result)}; expected a promise`,
  );
  return Promise.resolve(result as Promise<T>);
}

/** Remembers when a signal aborted (now, if it already had). */
function watch(signal: AbortSignal): { at?: number } {
  const seen: { at?: number } = {};
  if (signal.aborted) seen.at = virtualNow();
  else signal.addEventListener('abort', () => { seen.at = virtualNow(); }, { once: true });
  return seen;
}

/** Follows a promise without moving virtual time. */
function track(promise: Promise<unknown>): { settled?: { ok: boolean; value: unknown; atMs: number } } {
  const t: { settled?: { ok: boolean; value: unknown; atMs: number } } = {};
  promise.then(
    (value) => { t.settled = { ok: true, value, atMs: virtualNow() }; },
    (value: unknown) => { t.settled = { ok: false, value, atMs: virtualNow() }; },
  );
  return t;
}

function describeTracked(t: ReturnType<typeof track>): string {
  if (!t.settled) return 'was still pending';
  return `${t.settled.ok ? 'resolved with' : 'rejected with'} ${t.settled.ok ? show(t.settled.value) : describeThrown(t.settled.value)} at ${t.settled.atMs} ms`;
}

async function advanceTo(ms: number): Promise<void> {
  const delta = ms - virtualNow();
  if (delta > 0) await advance(delta);
}

interface Job {
  promise: Promise<void>;
  /** When the job stopped because its signal aborted, and why. */
  stopped?: { at: number; reason: unknown };
}

/**
 * Local work of `ms` that listens to `signal`: when it aborts, the work stops at once (clearing its
 * timer) and rejects with the signal's reason, as fetch does. Without a signal, it ignores aborts.
 */
function busy(ms: number, signal?: unknown): Job {
  const job: Job = { promise: Promise.resolve() };
  job.promise = new Promise<void>((resolve, reject) => {
    const listening = signal instanceof AbortSignal ? signal : undefined;
    if (listening?.aborted) {
      job.stopped = { at: virtualNow(), reason: listening.reason };
      return reject(listening.reason);
    }
    const onAbort = () => {
      clearTimeout(timer);
      job.stopped = { at: virtualNow(), reason: listening!.reason };
      reject(listening!.reason);
    };
    const timer = setTimeout(() => {
      listening?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    listening?.addEventListener('abort', onAbort, { once: true });
  });
  return job;
}

function isExpiry(reason: unknown): boolean {
  return reason instanceof DeadlineExceededError;
}

// ---------------------------------------------------------------------------------------------
// The deadline itself
// ---------------------------------------------------------------------------------------------

test('remaining() counts down with the clock and is never negative', async () => {
  useVirtualTime();
  const d = after(1000);
  for (const [at, expected] of [[0, 1000], [250, 750], [999, 1], [1000, 0], [1600, 0]] as const) {
    await advanceTo(at);
    const r = remainingOf(d);
    check(
      r === expected,
      () =>
        `${at} ms after Deadline.after(1000), remaining() returned ${show(r)}; expected ${expected}` +
        (r < 0 ? ` (the deadline passed ${at - 1000} ms ago: remaining() is never negative, it stays at 0)` : ''),
    );
  }
});

test('the signal aborts when the deadline passes, with a DeadlineExceededError', async () => {
  const e = attempt("new DeadlineExceededError('too slow')", () => new DeadlineExceededError('too slow'));
  check(
    e instanceof Error && e.name === 'DeadlineExceededError' && e.message === 'too slow',
    () => `new DeadlineExceededError('too slow') gave ${describeThrown(e)}${e instanceof Error ? '' : ', not an Error'}; expected an Error with name 'DeadlineExceededError' and message 'too slow'`,
  );

  useVirtualTime();
  const d = after(1000);
  const seen = watch(d.signal);
  await advance(999);
  check(!d.signal.aborted, () => `Deadline.after(1000).signal aborted at ${seen.at} ms; expected it to stay unaborted until the deadline, at 1000 ms`);
  await advance(1 + SLACK);
  check(d.signal.aborted, `Deadline.after(1000).signal was still not aborted at ${1000 + SLACK} ms; expected it to abort when the deadline passed, at 1000 ms`);
  const reason: unknown = d.signal.reason;
  check(
    isExpiry(reason),
    () =>
      `Deadline.after(1000).signal aborted at ${seen.at} ms with ${describeThrown(reason)}; expected a DeadlineExceededError as its reason ` +
      '(the reason tells whoever is stopped why: here, the deadline passed; controller.abort(reason) sets it)',
  );
});

test('a deadline with no time left is already expired when it is made', async () => {
  useVirtualTime();
  const cases: Array<[string, () => D]> = [
    ['Deadline.after(0)', () => after(0)],
    ["Deadline.fromHeader('0m')", () => fromHeader('0m')],
    ['Deadline.after(1000).child(0)', () => childOf(after(1000), 0)],
  ];
  const passed = after(500);
  await advance(600);
  cases.push(['child(100) of a deadline that passed 100 ms ago', () => childOf(passed, 100)]);
  cases.push(['child() of a deadline that passed 100 ms ago', () => childOf(passed)]);
  for (const [what, make] of cases) {
    const d = make();
    check(
      d.signal.aborted,
      `${what}.signal.aborted was false right after it was made; a deadline with no time left is already expired: ` +
        'abort its signal at once (a timer of 0 ms, or AbortSignal.timeout(0), fires only later, and a call made meanwhile would start work for nothing)',
    );
    check(isExpiry(d.signal.reason), () => `${what}.signal was already aborted, with ${describeThrown(d.signal.reason)}; expected a DeadlineExceededError`);
  }
});

test("the signal aborts at once with the parent's reason (the same value) when the parent aborts first", async () => {
  useVirtualTime();
  const caller = new AbortController();
  const reason = new Error('client closed the connection');
  const d = after(1000, caller.signal);
  await advance(300);
  check(!d.signal.aborted, () => `Deadline.after(1000, parent).signal aborted at 300 ms with ${describeThrown(d.signal.reason)}, before its deadline and with the parent still running`);
  caller.abort(reason);
  check(
    d.signal.aborted,
    'the parent signal aborted at 300 ms (the caller gave up), but Deadline.after(1000, parent).signal was not aborted; ' +
      "expected it to abort at once, with the parent's reason: nobody is waiting for the answer any more",
  );
  check(
    d.signal.reason === reason,
    () => `the parent signal aborted with ${describeThrown(reason)}, but the deadline's signal aborted with ${describeThrown(d.signal.reason)}; expected the parent's reason itself (the same value)`,
  );

  // A parent that gave up before the deadline was even made, with a reason that is not an Error.
  const gone = new AbortController();
  gone.abort('client went away');
  const late = after(1000, gone.signal);
  check(
    late.signal.aborted && late.signal.reason === 'client went away',
    () =>
      `Deadline.after(1000, parent) with a parent already aborted with the string 'client went away' gave a signal ` +
      `${late.signal.aborted ? `aborted with ${describeThrown(late.signal.reason)}` : 'that was not aborted'}; expected it aborted at once with the parent's reason, as it is`,
  );
});

test('child(budgetMs) never outlives its parent: it gets the smaller of the time remaining and budgetMs', async () => {
  useVirtualTime();
  const root = after(1000);
  await advance(600);
  const big = childOf(root, 1000);
  const whole = childOf(root);
  const small = childOf(root, 100);
  const rBig = remainingOf(big, 'child(1000).remaining()');
  check(
    rBig === 400,
    `600 ms after Deadline.after(1000), child(1000).remaining() was ${show(rBig)}; expected 400 = min(400 ms remaining, budget 1000): ` +
      'a child must never outlive its parent (the caller stops waiting at its own deadline)',
  );
  const rWhole = remainingOf(whole, 'child().remaining()');
  check(rWhole === 400, `600 ms after Deadline.after(1000), child() with no budget had remaining() = ${show(rWhole)}; expected 400, all the time its parent has left`);
  const rSmall = remainingOf(small, 'child(100).remaining()');
  check(rSmall === 100, `600 ms after Deadline.after(1000), child(100).remaining() was ${show(rSmall)}; expected 100 = min(400 ms remaining, budget 100)`);

  const seen = { small: watch(small.signal), big: watch(big.signal), whole: watch(whole.signal), root: watch(root.signal) };
  await advance(100 + SLACK);
  check(small.signal.aborted, `child(100), made at 600 ms, was still not aborted at ${700 + SLACK} ms; expected its signal to abort when its budget ran out, at 700 ms`);
  check(isExpiry(small.signal.reason), () => `child(100)'s signal aborted with ${describeThrown(small.signal.reason)}; expected a DeadlineExceededError`);
  check(!root.signal.aborted, () => `when child(100) expired at 700 ms, its parent's signal aborted too (at ${seen.root.at} ms); a child's expiry must leave its parent alone`);
  await advanceTo(1000 + SLACK);
  for (const [what, c, at] of [['child(1000)', big, seen.big], ['child()', whole, seen.whole]] as const) {
    check(c.signal.aborted, `${what}, made at 600 ms under a deadline at 1000 ms, was still not aborted at ${1000 + SLACK} ms; a child must never outlive its parent`);
    check(at.at! <= 1000 + SLACK, `${what}'s signal aborted at ${at.at} ms; its parent's deadline is at 1000 ms, and a child must never outlive its parent`);
  }
});

test('a child aborts with its parent, with the same reason, and never the other way round', async () => {
  useVirtualTime();
  const caller = new AbortController();
  const root = after(1000, caller.signal);
  const mid = childOf(root);
  const leaf = childOf(mid, 200);
  await advance(200 + SLACK);
  check(leaf.signal.aborted, `child(200) was still not aborted at ${200 + SLACK} ms; expected it to expire at 200 ms`);
  check(
    !mid.signal.aborted && !root.signal.aborted,
    () =>
      `when a child expired at 200 ms, ${mid.signal.aborted ? 'its parent' : 'the root deadline'} aborted too (with ${describeThrown((mid.signal.aborted ? mid : root).signal.reason)}); ` +
      "a child's expiry must never abort its parent: the parent may still try something else",
  );
  const later = childOf(mid, 500);
  await advance(100);
  const reason = new Error('client closed the connection');
  caller.abort(reason);
  for (const [what, d] of [['the deadline made with Deadline.after(1000, parent)', root], ['its child()', mid], ['the grandchild child(500)', later]] as const) {
    check(
      d.signal.aborted,
      `the caller gave up at ${virtualNow()} ms (the parent signal of the root deadline aborted), but ${what} was not aborted; ` +
        'a child must abort with its parent, at once, so that every downstream call stops',
    );
    check(
      d.signal.reason === reason,
      () => `the caller gave up with ${describeThrown(reason)}, but ${what} aborted with ${describeThrown(d.signal.reason)}; expected the parent's reason itself, passed down the chain`,
    );
  }
});

test('once the caller gives up, no timer is left running', async () => {
  useVirtualTime();
  const caller = new AbortController();
  const root = after(5000, caller.signal);
  const a = childOf(root, 2000);
  const b = childOf(a);
  const c = childOf(root);
  await advance(100);
  caller.abort(new Error('client closed the connection'));
  await flushMicrotasks();
  const open = [root, a, b, c].filter((d) => !d.signal.aborted).length;
  check(open === 0, `the caller gave up at 100 ms, but ${open} of 4 deadlines (a deadline and its children) were not aborted; a deadline aborts with its parent`);
  const left = pendingTimers();
  check(
    left === 0,
    `the caller gave up at 100 ms, and ${left} timer${left === 1 ? ' was' : 's were'} still pending for a deadline of 5000 ms and its 3 children; ` +
      "once a deadline's signal has aborted its timer is useless: clear it (clearTimeout), so that nothing keeps running after the caller gave up",
  );
});

// ---------------------------------------------------------------------------------------------
// Crossing a hop: the grpc-timeout header
// ---------------------------------------------------------------------------------------------

test("toHeader() sends the time remaining as a grpc-timeout value ('850m')", async () => {
  useVirtualTime();
  const d = after(1000);
  const expectations: Array<[number, string]> = [[0, '1000m'], [150, '850m'], [999, '1m'], [1200, '0m']];
  for (const [at, expected] of expectations) {
    await advanceTo(at);
    const h = headerOf(d);
    check(
      h === expected,
      () =>
        `${at} ms after Deadline.after(1000), toHeader() returned ${show(h)}; expected ${show(expected)}, the time remaining in whole milliseconds ` +
        "followed by 'm' (the next hop must stop when this one does, not get the full timeout again)",
    );
  }
  const long = after(200_000_000);
  const h = headerOf(long);
  check(
    h === '200000S',
    () => `Deadline.after(200000000).toHeader() returned ${show(h)}; expected '200000S': grpc-timeout allows at most 8 digits, so past 99999999 ms use whole seconds, with 'S'`,
  );
});

test('toHeader() rounds down, fractions and the switch to seconds included (8 digits at most)', () => {
  useVirtualTime();
  const cases: Array<[number, string, string]> = [
    [850.7, '850m', '850.7 ms left, rounded down to whole milliseconds'],
    [0.9, '0m', '0.9 ms left, rounded down'],
    [99_999_999, '99999999m', '99999999 ms is 8 digits: it still fits in milliseconds'],
    [99_999_999.5, '99999999m', '99999999.5 ms, rounded down, is 8 digits'],
    [100_000_000, '100000S', '100000000 ms is 9 digits: whole seconds instead'],
    [100_000_999, '100000S', '100000999 ms is 100000.999 s, rounded down to whole seconds'],
  ];
  const problems: string[] = [];
  for (const [ms, expected, why] of cases) {
    const h = headerOf(after(ms));
    if (h !== expected) problems.push(`Deadline.after(${ms}).toHeader() returned ${show(h)}; expected ${show(expected)} (${why})`);
  }
  check(problems.length === 0, () => problems.join('\n'));
});

test('fromHeader() reads every grpc-timeout unit: H, M, S, m, u and n', async () => {
  useVirtualTime();
  const units: Array<[string, number, string]> = [
    ['850m', 850, "'m' is milliseconds"],
    ['2S', 2000, "'S' is seconds"],
    ['3M', 180_000, "'M' is minutes"],
    ['1H', 3_600_000, "'H' is hours"],
    ['3000u', 3, "'u' is microseconds"],
    ['7000000n', 7, "'n' is nanoseconds"],
    ['00000012m', 12, 'leading zeros are allowed, up to 8 digits'],
    ['1500u', 1.5, "'u' is microseconds: 1500u is 1.5 ms, not rounded"],
    ['2500000n', 2.5, "'n' is nanoseconds: 2500000n is 2.5 ms, not rounded"],
    ['99999999m', 99_999_999, '8 digits are allowed'],
  ];
  const problems: string[] = [];
  for (const [value, ms, why] of units) {
    let got: string;
    try {
      const r = Deadline.fromHeader(value).remaining();
      if (r === ms) continue;
      got = `gave a deadline with remaining() = ${show(r)}`;
    } catch (error) {
      if (isTodo(error)) fail(`Deadline.fromHeader is not implemented yet (it threw ${describeThrown(error)})`);
      got = `threw ${describeThrown(error)}`;
    }
    problems.push(`Deadline.fromHeader(${show(value)}) ${got}; expected remaining() = ${ms} (${why})`);
  }
  check(problems.length === 0, () => problems.join('\n'));
});

function expectRangeError(what: string, f: () => unknown, why: string): void {
  let thrown: unknown;
  let result: unknown;
  try {
    result = f();
  } catch (error) {
    thrown = error;
  }
  if (thrown instanceof RangeError) return;
  if (isTodo(thrown)) fail(`${what} is not implemented yet (it threw ${describeThrown(thrown)})`);
  fail(
    `${what} ${thrown === undefined ? `returned ${result instanceof Deadline ? 'a Deadline' : show(result)}` : `threw ${describeThrown(thrown)}`}; ` +
      `expected it to throw a RangeError (${why})`,
  );
}

test('Deadline.after() and child() refuse a negative, NaN or infinite number of milliseconds (RangeError)', () => {
  useVirtualTime();
  for (const ms of [-1, -0.5, NaN, Infinity, -Infinity]) {
    expectRangeError(`Deadline.after(${show(ms)})`, () => Deadline.after(ms), 'a deadline is a finite number of milliseconds, 0 or more');
  }
  const d = after(1000);
  for (const ms of [-5, NaN, Infinity]) {
    expectRangeError(`Deadline.after(1000).child(${show(ms)})`, () => d.child(ms), 'a budget is a finite number of milliseconds, 0 or more');
  }
});

test('Deadline.fromHeader() refuses a value that is not grpc-timeout (RangeError)', () => {
  useVirtualTime();
  const bad: Array<[string, string]> = [
    ['', 'empty'],
    ['250', 'no unit'],
    ['m', 'no digits'],
    ['-5m', 'a sign is not a digit'],
    ['1.5S', 'only digits, no decimal point'],
    ['123456789m', 'at most 8 digits'],
    ['10x', "'x' is not a unit"],
    ['10ms', "one unit letter, 'm', and nothing after it"],
    ['10 m', 'no space between the digits and the unit'],
  ];
  for (const [value, why] of bad) {
    expectRangeError(`Deadline.fromHeader(${show(value)})`, () => Deadline.fromHeader(value), `${why}: grpc-timeout is 1 to 8 digits, then one of H, M, S, m, u, n`);
  }
});

// ---------------------------------------------------------------------------------------------
// callWithDeadline
// ---------------------------------------------------------------------------------------------

test('callWithDeadline settles as work does when work finishes in time', async () => {
  useVirtualTime();
  const d = after(1000);
  let given: unknown;
  const value = { reserved: 3 };
  const s = await settle(call(d, (signal) => {
    given = signal;
    return busy(200).promise.then(() => value);
  }));
  check(given instanceof AbortSignal, () => `callWithDeadline called work with ${show(given)}; expected an AbortSignal that aborts with the deadline`);
  check(
    s.status === 'fulfilled' && s.value === value && s.atMs === 200,
    () => `work resolved with ${show(value)} at 200 ms, well before the deadline at 1000 ms, but callWithDeadline ${describeSettled(s)}; expected it to resolve with that same value, at once`,
  );

  useVirtualTime();
  const failure = new Error('inventory: no such item');
  const s2 = await settle(call(after(1000), () => busy(100).promise.then(() => { throw failure; })));
  check(
    s2.status === 'rejected' && s2.reason === failure && s2.atMs === 100,
    () => `work rejected with ${describeThrown(failure)} at 100 ms, before the deadline, but callWithDeadline ${describeSettled(s2)}; expected it to reject with that same error, at once`,
  );

  for (const [kind, failure2] of [['an Error subclass', new DeadlineExceededError('upstream deadline')], ['a string', 'no such item'], ['a plain object', { status: 404 }], ['undefined', undefined]] as const) {
    useVirtualTime();
    const s4 = await settle(call(after(1000), () => busy(100).promise.then(() => Promise.reject(failure2))));
    check(
      s4.status === 'rejected' && s4.reason === failure2 && s4.atMs === 100,
      () => `work rejected with ${kind} (${describeThrown(failure2)}) at 100 ms, before the deadline, but callWithDeadline ${describeSettled(s4)}; expected it to reject with that same value, as it is, at once`,
    );
  }

  useVirtualTime();
  const thrown = new Error('bad request');
  const s3 = await settle(call(after(1000), () => { throw thrown; }));
  check(
    s3.status === 'rejected' && s3.reason === thrown,
    () => `work threw ${describeThrown(thrown)} synchronously, and callWithDeadline ${describeSettled(s3)}; expected it to reject with that same error`,
  );
});

test('callWithDeadline rejects when the deadline passes, even if work ignores the signal', async () => {
  useVirtualTime();
  const d = after(1000);
  const s = await settle(call(d, () => busy(5000).promise.then(() => 'too late')));
  check(
    s.status === 'rejected' && s.atMs <= 1000 + SLACK,
    () =>
      `under a deadline of 1000 ms, work that ignores the signal and takes 5000 ms: callWithDeadline ${describeSettled(s)}; ` +
      'expected it to reject at 1000 ms: nobody waits for an answer past the deadline, even when work ignores the signal (do not just await work: race it against the signal)',
  );
  check(
    s.reason === d.signal.reason,
    () => `callWithDeadline rejected at the deadline with ${describeThrown(s.reason)}; expected deadline.signal.reason itself (${describeThrown(d.signal.reason)})`,
  );
  check(isExpiry(s.reason), () => `callWithDeadline rejected at the deadline with ${describeThrown(s.reason)}; expected a DeadlineExceededError, the reason of a deadline that passed`);
  await advance(5000);
});

test('work receives a signal that aborts at the deadline, so work that listens stops', async () => {
  useVirtualTime();
  const d = after(1000);
  let given: unknown;
  let job: Job | undefined;
  const s = await settle(call(d, (signal) => {
    given = signal;
    job = busy(5000, signal);
    return job.promise;
  }));
  check(given instanceof AbortSignal, () => `callWithDeadline called work with ${show(given)}; expected an AbortSignal that aborts with the deadline`);
  check(
    job?.stopped !== undefined && job.stopped.at <= 1000 + SLACK,
    () =>
      `work listened to the signal it was given, but ${job?.stopped ? `that signal aborted only at ${job.stopped.at} ms` : 'that signal never aborted'}; ` +
      'expected it to abort at the deadline, 1000 ms, so that work stops instead of running on for nobody',
  );
  check(
    job.stopped.reason === d.signal.reason,
    () => `the signal work was given aborted with ${describeThrown(job!.stopped!.reason)}; expected the same reason as the deadline's signal (${describeThrown(d.signal.reason)})`,
  );
  check(isExpiry(job.stopped.reason), () => `the signal work was given aborted at the deadline with ${describeThrown(job!.stopped!.reason)}; expected a DeadlineExceededError`);
  check(s.status === 'rejected' && s.reason === d.signal.reason, () => `callWithDeadline ${describeSettled(s)}; expected it to reject with deadline.signal.reason at 1000 ms`);
});

test("callWithDeadline rejects at once with the caller's reason when the caller gives up", async () => {
  for (const listens of [true, false]) {
    useVirtualTime();
    const caller = new AbortController();
    const d = after(1000, caller.signal);
    let job: Job | undefined;
    const t = track(call(d, (signal) => {
      job = busy(5000, listens ? signal : undefined);
      return job.promise;
    }));
    await advance(300);
    const reason = new Error('client closed the connection');
    caller.abort(reason);
    await flushMicrotasks();
    const how = listens ? 'work listening to its signal' : 'work ignoring its signal';
    check(
      t.settled !== undefined && !t.settled.ok && t.settled.value === reason,
      () =>
        `with ${how}, the caller gave up at 300 ms with ${describeThrown(reason)}, and callWithDeadline ${describeTracked(t)}; ` +
        "expected it to reject at once with the caller's reason itself",
    );
    if (listens) {
      check(
        job?.stopped?.reason === reason,
        () => `the caller gave up at 300 ms, but the signal work was given ${job?.stopped ? `aborted with ${describeThrown(job.stopped.reason)}` : 'did not abort'}; expected it to abort at once with the caller's reason`,
      );
    }
    await advance(5000);
  }
});

test('callWithDeadline fails fast, without calling work, when the deadline is already over', async () => {
  useVirtualTime();
  const passed = after(100);
  await advance(100 + SLACK);
  const gone = new AbortController();
  const reason = new Error('client closed the connection');
  gone.abort(reason);
  const cases: Array<[string, D, (r: unknown) => boolean, string]> = [
    ['Deadline.after(0)', after(0), isExpiry, 'a DeadlineExceededError'],
    ['a deadline that passed at 100 ms', passed, isExpiry, 'a DeadlineExceededError'],
    ['a deadline whose parent already aborted', after(1000, gone.signal), (r) => r === reason, `the parent's reason (${describeThrown(reason)})`],
  ];
  for (const [what, d, ok, expected] of cases) {
    let calls = 0;
    const t = track(call(d, () => {
      calls += 1;
      return busy(50).promise;
    }));
    await flushMicrotasks();
    check(
      calls === 0,
      `callWithDeadline with ${what} called work anyway; expected it to reject without calling work (its answer would come too late for anyone)`,
    );
    check(
      t.settled !== undefined && !t.settled.ok && ok(t.settled.value),
      () => `callWithDeadline with ${what} ${describeTracked(t)}; expected it to reject at once with ${expected}, the deadline's signal.reason`,
    );
  }
});

test('callWithDeadline leaves nothing behind when work finishes first: no timer, no abort listener', async () => {
  useVirtualTime();
  const d = after(60_000);
  const timersBefore = pendingTimers();
  const listenersBefore = getEventListeners(d.signal, 'abort').length;
  const calls = 20;
  for (let i = 0; i < calls; i++) {
    const s = await settle(call(d, () => busy(10).promise.then(() => i)));
    check(s.status === 'fulfilled' && s.value === i, () => `call ${i + 1}: work resolved with ${i} after 10 ms, but callWithDeadline ${describeSettled(s)}`);
  }
  const timers = pendingTimers() - timersBefore;
  check(
    timers === 0,
    `after ${calls} calls of callWithDeadline whose work finished within 10 ms, under one deadline of 60000 ms, ${timers} more timer${timers === 1 ? ' was' : 's were'} pending than before; ` +
      'a call that is over must clear any timer it started, or each one lingers until the deadline',
  );
  const listeners = getEventListeners(d.signal, 'abort').length - listenersBefore;
  check(
    listeners === 0,
    `after ${calls} calls of callWithDeadline whose work finished within 10 ms, deadline.signal had ${listeners} more 'abort' listener${listeners === 1 ? '' : 's'} than before; ` +
      'remove your listener (removeEventListener) once work settles, or every call under a long deadline leaves one behind ' +
      '(Node warns "MaxListenersExceededWarning: Possible EventTarget memory leak" past 10)',
  );
});

// ---------------------------------------------------------------------------------------------
// A chain of services: gateway → orders → inventory
// ---------------------------------------------------------------------------------------------

type Service = (header: string, incoming: AbortSignal) => Promise<string>;

interface Hop {
  name: string;
  header?: string;
  at?: number;
  deadline?: D;
  job?: Job;
}

/**
 * A service as the statement's example writes one: it reads its deadline from the header (aborted
 * with the incoming request), runs its own work under callWithDeadline (work of `localMs` that
 * listens to the signal, unless `ignoresSignal`), then calls the next service with `child(budgetMs)`
 * (or the deadline itself when `budgetMs` is 'same'), passing the header and the signal on.
 */
function service(
  hop: Hop,
  localMs: number,
  next?: { call: Service; budgetMs?: number | 'same' },
  ignoresSignal = false,
): Service {
  return (header, incoming) => {
    hop.header = header;
    hop.at = virtualNow();
    const deadline = Deadline.fromHeader(header, incoming);
    hop.deadline = deadline;
    return callWithDeadline(deadline, async (signal) => {
      hop.job = busy(localMs, ignoresSignal ? undefined : signal);
      await hop.job.promise;
      if (!next) return `${hop.name}: reserved`;
      const sub = next.budgetMs === 'same' ? deadline : deadline.child(next.budgetMs);
      return callWithDeadline(sub, (s) => next.call(sub.toHeader(), s));
    });
  };
}

function chain(inventoryMs: number, ordersBudget: number | undefined, inventoryIgnores = false): { gateway: Service; hops: Hop[] } {
  const hops: Hop[] = [{ name: 'gateway' }, { name: 'orders' }, { name: 'inventory' }];
  const inventory = service(hops[2]!, inventoryMs, undefined, inventoryIgnores);
  const orders = service(hops[1]!, 200, { call: inventory, ...(ordersBudget === undefined ? {} : { budgetMs: ordersBudget }) });
  const gateway = service(hops[0]!, 100, { call: orders, budgetMs: 'same' });
  return { gateway, hops };
}

function startChain(gateway: Service, header: string, signal: AbortSignal): Promise<string> {
  try {
    return Promise.resolve(gateway(header, signal));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A chain that failed on code not written yet fails the check with that, rather than a timeline. */
function implemented(outcome: unknown): void {
  if (isTodo(outcome)) fail(`part of your code is not implemented yet (it threw ${describeThrown(outcome)})`);
}

const CHAIN = "gateway (100 ms of work, passes its deadline on) → orders (200 ms of work, then child(budget)) → inventory";

test('in a chain gateway → orders → inventory, each hop receives the time remaining in its header', async () => {
  for (const [budget, inventoryHeader] of [[300, '300m'], [2000, '700m'], [undefined, '700m']] as const) {
    useVirtualTime();
    const { gateway, hops } = chain(150, budget);
    const s = await settle(startChain(gateway, '1000m', new AbortController().signal));
    if (s.status === 'rejected') implemented(s.reason);
    const where = `in the chain ${CHAIN} (150 ms of work), with a client deadline of '1000m' and orders giving inventory child(${budget ?? ''})`;
    const expected: Array<[number, string]> = [[0, '1000m'], [100, '900m'], [300, inventoryHeader]];
    for (let i = 0; i < 3; i++) {
      const hop = hops[i]!;
      const [at, header] = expected[i]!;
      check(
        hop.header === header && hop.at === at,
        () =>
          `${where}: ${hop.name} ${hop.at === undefined ? 'was never called' : `received ${show(hop.header)} at ${hop.at} ms`}; expected ${show(header)} at ${at} ms ` +
          `(the client's call ${describeSettled(s)})`,
      );
    }
    check(
      s.status === 'fulfilled' && s.value === 'inventory: reserved' && s.atMs === 450,
      () => `${where}: the client's call ${describeSettled(s)}; expected 'inventory: reserved' at 450 ms`,
    );
  }
});

test("in that chain, when inventory is too slow, every hop gives up at the client's deadline", async () => {
  for (const ignores of [false, true]) {
    useVirtualTime();
    const { gateway, hops } = chain(5000, undefined, ignores);
    const s = await settle(startChain(gateway, '1000m', new AbortController().signal), 2000);
    if (s.status === 'rejected') implemented(s.reason);
    const where = `in the chain ${CHAIN} (5000 ms of work, ${ignores ? 'ignoring' : 'listening to'} its signal), with a client deadline of '1000m'`;
    check(
      s.status === 'rejected' && isExpiry(s.reason) && s.atMs <= 1000 + SLACK,
      () => `${where}: the client's call ${describeSettled(s)}; expected it to reject with a DeadlineExceededError at 1000 ms`,
    );
    for (const hop of hops) {
      const signal = hop.deadline?.signal;
      check(signal?.aborted === true, `${where}: at ${s.atMs} ms, ${hop.name}'s deadline had not aborted; expected every hop's deadline to pass at 1000 ms`);
    }
    if (!ignores) {
      const job = hops[2]!.job;
      check(job?.stopped !== undefined, `${where}: inventory's work, listening to its signal, was still running at ${virtualNow()} ms; expected it to stop at 1000 ms`);
    }
    await advance(5000);
  }
});

test('in that chain, when the client gives up, every hop stops at once and nothing is left running', async () => {
  useVirtualTime();
  const client = new AbortController();
  const { gateway, hops } = chain(5000, undefined);
  const t = track(startChain(gateway, '1000m', client.signal));
  await advance(400);
  const reason = new Error('client closed the connection');
  client.abort(reason);
  await flushMicrotasks();
  if (t.settled && !t.settled.ok) implemented(t.settled.value);
  const where = `in the chain ${CHAIN} (5000 ms of work, listening), with a client deadline of '1000m'`;
  check(
    t.settled !== undefined && !t.settled.ok && t.settled.value === reason,
    () => `${where}: the client gave up at 400 ms with ${describeThrown(reason)}, and the client's call ${describeTracked(t)}; expected it to reject at once with that reason`,
  );
  for (const hop of hops) {
    const signal = hop.deadline?.signal;
    check(
      signal?.aborted === true && signal.reason === reason,
      () =>
        `${where}: the client gave up at 400 ms, but ${hop.name}'s deadline ${signal?.aborted ? `aborted with ${describeThrown(signal.reason)}` : 'was not aborted'}; ` +
        "expected it to abort at once with the client's reason, passed down the chain",
    );
  }
  const job = hops[2]!.job;
  check(job?.stopped?.at === 400, `${where}: the client gave up at 400 ms, but inventory's work was still running; expected it to stop at once`);
  const left = pendingTimers();
  check(
    left === 0,
    `${where}: after the client gave up at 400 ms and every hop stopped, ${left} timer${left === 1 ? ' was' : 's were'} still pending; ` +
      'nothing should keep running after the caller gave up: clear every timer once its deadline has aborted or its call is over',
  );
});
