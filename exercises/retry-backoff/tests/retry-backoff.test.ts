import { test, vi } from 'vitest';
import {
  advance,
  bar,
  formatMs,
  labelled,
  check,
  controlMathRandom,
  describeThrown,
  fail,
  flushMicrotasks,
  pendingTimers,
  settle,
  streamFor,
  useVirtualTime,
  virtualNow,
  type Settled,
  show,
  describeSettled,
} from 'learn-ds/harness';
import type { RetryOptions } from 'learn-ds/subject/retry-backoff';
import { retry } from 'learn-ds/subject/retry-backoff';

// ---------------------------------------------------------------------------------------------
// A scripted `op`: each call follows a plan (fail, throw synchronously, or succeed, possibly after
// some virtual time) and records when it started and when it ended, so waits can be measured as
// "attempt k+1 started W ms after attempt k failed".
// ---------------------------------------------------------------------------------------------

type Step =
  | { kind: 'reject'; error: unknown; afterMs?: number }
  | { kind: 'throw'; error: unknown }
  | { kind: 'resolve'; value: unknown; afterMs?: number };

interface Call {
  attempt: unknown;
  startedAt: number;
  endedAt?: number;
}

class ScriptedOp {
  readonly calls: Call[] = [];
  /** What each failed call rejected with or threw, in call order. */
  readonly errors: unknown[] = [];
  constructor(private readonly plan: (n: number) => Step) {}

  readonly op = (attempt: number): Promise<unknown> => {
    const call: Call = { attempt, startedAt: virtualNow() };
    this.calls.push(call);
    const step = this.plan(this.calls.length);
    if (step.kind !== 'resolve') this.errors.push(step.error);
    if (step.kind === 'throw') {
      call.endedAt = virtualNow();
      throw step.error;
    }
    const finish = (resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
      call.endedAt = virtualNow();
      if (step.kind === 'resolve') resolve(step.value);
      else reject(step.error);
    };
    return new Promise((resolve, reject) => {
      if (step.afterMs) setTimeout(() => finish(resolve, reject), step.afterMs);
      else finish(resolve, reject);
    });
  };

  get count(): number {
    return this.calls.length;
  }

  attempts(): string {
    return this.calls.map((c) => show(c.attempt)).join(', ');
  }
}

/** An op whose every call fails with a fresh Error after `afterMs` of virtual time. */
function alwaysFailing(afterMs = 0): ScriptedOp {
  return new ScriptedOp((n) => ({ kind: 'reject', error: new Error(`attempt ${n} failed`), afterMs }));
}

/** Calls retry, turning a synchronous throw or a non-promise result into a message for the learner. */
function start(
  op: (attempt: number) => Promise<unknown>,
  options: RetryOptions,
  thrownSynchronously?: (error: unknown) => string,
): Promise<unknown> {
  let result: unknown;
  try {
    result = retry(op, options);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('TODO')) fail(`retry() is not implemented yet (it threw ${describeThrown(error)})`);
    fail(
      thrownSynchronously?.(error) ??
        `retry() threw synchronously (${describeThrown(error)}) instead of returning a promise; ` +
          'every failure must come out as a rejection of the promise it returns',
    );
  }
  check(
    result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function'),
    `retry() returned ${show(result)}; expected a promise`,
  );
  return Promise.resolve(result);
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

/** The ceiling of the wait before attempt k+1 (k = 1, 2, …), as the statement defines it. */
function ceilingAfter(k: number, o: { baseDelayMs: number; maxDelayMs: number }): number {
  return Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (k - 1));
}

interface Wait {
  /** The attempt that failed just before the wait (the wait precedes attempt k + 1). */
  k: number;
  ms: number;
}

/** Measures the waits between the end of attempt k and the start of attempt k+1. */
function waitsOf(script: ScriptedOp): Wait[] {
  const waits: Wait[] = [];
  for (let i = 1; i < script.calls.length; i++) {
    const prev = script.calls[i - 1]!;
    const next = script.calls[i]!;
    if (prev.endedAt === undefined) {
      fail(`attempt ${i + 1} started at ${next.startedAt} ms while attempt ${i} was still running; wait for each attempt to fail before the next one`);
    }
    waits.push({ k: i, ms: next.startedAt - prev.endedAt });
  }
  return waits;
}

/** Runs retry with an always-failing op until it settles; returns the measured waits. */
async function runAllFailing(options: RetryOptions, opMs = 30): Promise<{ script: ScriptedOp; settled: Settled<unknown>; waits: Wait[] }> {
  const script = alwaysFailing(opMs);
  const settled = await settle(start(script.op, options));
  check(script.count > 0, `op was never called; retry ${describeSettled(settled)}`);
  return { script, settled, waits: waitsOf(script) };
}

/** A Math.random() whose source can be switched within a test. */
function switchableRandom(): { use: (source: () => number, description: string) => void; description: () => string } {
  let current: () => number = Math.random;
  let described = 'the real Math.random()';
  controlMathRandom(() => current());
  return {
    use: (source, description) => {
      current = source;
      described = description;
    },
    description: () => described,
  };
}

const ATTEMPT_OPTIONS = { baseDelayMs: 100, maxDelayMs: 10_000 };

// ---------------------------------------------------------------------------------------------
// Attempts and results
// ---------------------------------------------------------------------------------------------

test('returns the value of the first attempt that succeeds, and calls op no more', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('first success'));

  // Succeeds at once: no wait at all.
  const value1 = { id: 'first' };
  const once = new ScriptedOp(() => ({ kind: 'resolve', value: value1 }));
  const s1 = await settle(start(once.op, { maxAttempts: 3, ...ATTEMPT_OPTIONS }));
  check(s1.status === 'fulfilled' && s1.value === value1, () => `op(1) resolved with ${show(value1)}, but retry ${describeSettled(s1)}; expected that same value`);
  check(s1.atMs === 0, `op(1) succeeded at once, but retry resolved only at ${s1.atMs} ms; expected it to resolve without any wait`);
  check(once.count === 1, `op(1) succeeded, yet op was called ${once.count} times; expected 1 call`);

  // Fails twice, then succeeds on attempt 3 of 5.
  useVirtualTime();
  const value3 = { id: 'third' };
  const script = new ScriptedOp((n) => (n < 3 ? { kind: 'reject', error: new Error(`attempt ${n} failed`), afterMs: 10 } : { kind: 'resolve', value: value3, afterMs: 10 }));
  const s3 = await settle(start(script.op, { maxAttempts: 5, ...ATTEMPT_OPTIONS }));
  check(
    s3.status === 'fulfilled' && s3.value === value3,
    () => `attempts 1 and 2 failed and attempt 3 resolved with ${show(value3)}, but retry ${describeSettled(s3)}; expected that same value`,
  );
  await advance(60_000);
  check(script.count === 3, `attempt 3 succeeded, yet op was called ${script.count} times in all; expected no call after the first success`);
  check(script.attempts() === '1, 2, 3', `op was called with attempt numbers ${script.attempts()}; expected 1, 2, 3`);
  const ended = script.calls[2]?.endedAt;
  check(s3.atMs === ended, `attempt 3 succeeded at ${ended} ms but retry resolved at ${s3.atMs} ms; expected it to resolve at once`);
});

test('still makes attempt number maxAttempts, and returns its value if it succeeds', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('last attempt succeeds'));
  for (const maxAttempts of [1, 2, 4]) {
    useVirtualTime();
    const value = `value of attempt ${maxAttempts}`;
    const script = new ScriptedOp((n) => (n < maxAttempts ? { kind: 'reject', error: new Error(`attempt ${n} failed`) } : { kind: 'resolve', value }));
    const s = await settle(start(script.op, { maxAttempts, ...ATTEMPT_OPTIONS }));
    check(
      s.status === 'fulfilled' && s.value === value,
      () =>
        `with maxAttempts = ${maxAttempts}, attempts before ${maxAttempts} failed and attempt ${maxAttempts} would have succeeded, ` +
        `but retry ${describeSettled(s)} after ${script.count} call${script.count === 1 ? '' : 's'} of op; expected ${show(value)}`,
    );
  }
});

test('calls op exactly maxAttempts times when every attempt fails', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('exact attempts'));
  for (const maxAttempts of [1, 2, 3, 6]) {
    useVirtualTime();
    const { script, settled } = await runAllFailing({ maxAttempts, ...ATTEMPT_OPTIONS }, 0);
    check(settled.status === 'rejected', () => `with maxAttempts = ${maxAttempts} and every attempt failing, retry ${describeSettled(settled)}; expected it to reject`);
    await advance(60_000);
    const expected = Array.from({ length: maxAttempts }, (_, i) => i + 1).join(', ');
    check(
      script.count === maxAttempts,
      `with maxAttempts = ${maxAttempts} and every attempt failing, op was called ${script.count} time${script.count === 1 ? '' : 's'} ` +
        `(attempts ${script.attempts()}); expected exactly maxAttempts = ${maxAttempts} call${maxAttempts === 1 ? '' : 's'} (maxAttempts counts every call, the first one included)`,
    );
    check(script.attempts() === expected, `op was called with attempt numbers ${script.attempts()}; expected ${expected}`);
  }
});

test('rejects with the last error itself (the same object), not a copy or a wrapper', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('last error'));
  const { script, settled } = await runAllFailing({ maxAttempts: 3, ...ATTEMPT_OPTIONS }, 5);
  check(settled.status === 'rejected', () => `every attempt failed, but retry ${describeSettled(settled)}; expected it to reject with the error of attempt 3`);
  const reason = settled.reason;
  const errors = script.errors;
  const last = errors.length;
  const index = errors.indexOf(reason);
  if (index === last - 1) return;
  if (index >= 0) fail(`retry rejected with the error of attempt ${index + 1}; expected the same object as the last error (the one attempt ${last} rejected with)`);
  const cause = reason instanceof Error ? (reason as Error & { cause?: unknown }).cause : undefined;
  const wraps = cause !== undefined && errors.includes(cause);
  fail(
    `retry rejected with ${describeThrown(reason)}${wraps ? ", a new error wrapping op's error" : ''}; ` +
      `expected the same object as the last error op rejected with (${describeThrown(errors[last - 1])}), not a copy or a wrapper`,
  );
});

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

test('rejects with any value as it is: an Error subclass, a string, a plain object, undefined, null', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('non-error'));
  const values: Array<(n: number) => unknown> = [
    (n) => new HttpError(500 + n), (n) => `boom #${n}`, (n) => ({ code: 503, attempt: n }), () => undefined, () => null,
  ];
  for (const make of values) {
    useVirtualTime();
    const thrown: unknown[] = [];
    const script = new ScriptedOp((n) => {
      const error = make(n);
      thrown.push(error);
      return { kind: 'reject', error };
    });
    const s = await settle(start(script.op, { maxAttempts: 3, ...ATTEMPT_OPTIONS }));
    const last = thrown[thrown.length - 1];
    check(
      s.status === 'rejected' && s.reason === last,
      () => `op rejected with ${describeThrown(last)} on every attempt, but retry ${describeSettled(s)}; expected it to reject with the last attempt's value, as it is`,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Backoff waits
// ---------------------------------------------------------------------------------------------

const RANDOM_SOURCES: Array<[string, (label: string) => () => number]> = [
  ['Math.random() always returning 0.999', () => () => 0.999],
  ['Math.random() always returning 0.99999999', () => () => 0.99999999],
  ['Math.random() always returning 0.001', () => () => 0.001],
  ['Math.random() returning uniform random numbers', (label) => streamFor(label)],
];

/** Each wait against its ceiling: █ within it, ▓ beyond it, ░ the unused rest. */
function waitsPicture(waits: readonly Wait[], options: { baseDelayMs: number; maxDelayMs: number }): string {
  const scale = Math.max(...waits.map((w) => Math.max(w.ms, ceilingAfter(w.k, options))), 1);
  const cells = (ms: number) => Math.round((ms / scale) * 48);
  const rows = waits.map((w): [string, string] => {
    const ceiling = ceilingAfter(w.k, options);
    const within = bar(Math.min(w.ms, ceiling), scale, 48);
    const beyond = '▓'.repeat(Math.max(0, cells(w.ms) - cells(ceiling)));
    const rest = '░'.repeat(Math.max(0, cells(ceiling) - within.length));
    return [`before attempt ${w.k + 1}`, `${formatMs(w.ms).padStart(9)} of ≤ ${formatMs(ceiling).padEnd(8)} ${within}${rest}${beyond}`];
  });
  return `${labelled(rows)}
█ your wait within the ceiling  ▓ beyond it  ░ the rest of the ceiling`;
}

async function checkCeilings(label: string, options: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number }, explain: (k: number, ceiling: number) => string): Promise<void> {
  const random = switchableRandom();
  for (const [description, source] of RANDOM_SOURCES) {
    useVirtualTime();
    random.use(source(label), description);
    const { script, waits } = await runAllFailing(options);
    const first = script.calls[0]!;
    check(first.startedAt === 0, `attempt 1 started ${first.startedAt} ms after retry was called; expected it at once (there is no wait before the first attempt)`);
    for (const w of waits) {
      const ceiling = ceilingAfter(w.k, options);
      check(w.ms >= 0, `attempt ${w.k + 1} started ${-w.ms} ms before attempt ${w.k} failed; wait for each attempt to fail before the next one`);
      // A timer fires on whole milliseconds, never early (37.4 ms fires at 38): a wait of at most a
      // fractional ceiling is seen as at most the ceiling rounded up.
      if (w.ms > Math.ceil(ceiling)) {
        fail(
          `attempt ${w.k + 1} started ${w.ms} ms after attempt ${w.k} failed; expected a backoff wait of at most ${ceiling} ms ` +
            `(${explain(w.k, ceiling)}; with ${random.description()})`,
          waitsPicture(waits, options),
        );
      }
    }
  }
}

test('before attempt k+1, waits at most baseDelayMs × 2^(k-1) (the ceiling doubles after each failure)', async () => {
  useVirtualTime();
  const o = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000_000 };
  await checkCeilings('ceiling doubles', o, (k, c) => `baseDelayMs × 2^(k-1) = ${o.baseDelayMs} × 2^${k - 1} = ${c} ms before attempt ${k + 1}`);
});

test('never waits more than maxDelayMs, however many attempts failed', async () => {
  useVirtualTime();
  const o = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 300 };
  await checkCeilings('ceiling capped', o, (k, c) => {
    const uncapped = o.baseDelayMs * 2 ** (k - 1);
    return uncapped > o.maxDelayMs
      ? `the ceiling ${o.baseDelayMs} × 2^${k - 1} = ${uncapped} ms is capped by maxDelayMs = ${o.maxDelayMs}`
      : `baseDelayMs × 2^(k-1) = ${c} ms, below maxDelayMs = ${o.maxDelayMs}`;
  });
});

test('keeps fractional ceilings too: baseDelayMs = 37.5 and maxDelayMs = 250.25', async () => {
  useVirtualTime();
  const o = { maxAttempts: 7, baseDelayMs: 37.5, maxDelayMs: 250.25 };
  await checkCeilings('fractional ceilings', o, (k, c) =>
    c === o.maxDelayMs ? `the ceiling is capped by maxDelayMs = ${o.maxDelayMs}` : `baseDelayMs × 2^(k-1) = ${o.baseDelayMs} × 2^${k - 1} = ${c} ms`);
});

/** Runs `runs` retries of `maxAttempts` failing attempts with Math.random() from a seeded stream. */
async function sampleWaits(label: string, runs: number, options: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number }): Promise<Wait[]> {
  controlMathRandom(streamFor(label));
  const all: Wait[] = [];
  for (let r = 0; r < runs; r++) {
    useVirtualTime();
    const { waits } = await runAllFailing(options, 0);
    all.push(...waits);
  }
  return all;
}

test('lets the wait ceiling double after each failure (later waits grow longer)', async () => {
  const o = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000_000 };
  const runs = 32;
  const waits = await sampleWaits('doubling', runs, o);
  for (let k = 1; k < o.maxAttempts; k++) {
    const ceiling = ceilingAfter(k, o);
    const longest = Math.max(...waits.filter((w) => w.k === k).map((w) => w.ms));
    check(
      longest > 0.6 * ceiling,
      `over ${runs} runs, the longest wait before attempt ${k + 1} was ${longest} ms; its ceiling is baseDelayMs × 2^${k - 1} = ${ceiling} ms, ` +
        `so with the ceiling doubling after each failure some waits should exceed ${0.6 * ceiling} ms`,
    );
  }
});

test('spreads each wait over the whole range [0, ceiling] (full jitter)', async () => {
  const o = { maxAttempts: 9, baseDelayMs: 50, maxDelayMs: 1600 };
  const waits = await sampleWaits('full jitter', 10, o);
  const ratios = waits.map((w) => w.ms / ceilingAfter(w.k, o));
  const quarters = [0, 0, 0, 0];
  for (const r of ratios) quarters[Math.min(3, Math.max(0, Math.floor(r * 4)))]! += 1;
  const min = Math.min(...ratios);
  const max = Math.max(...ratios);
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const diagnosis =
    min >= 0.99
      ? ' Every wait was the whole ceiling: that is exponential backoff with no jitter at all, so clients that failed together retry together.'
      : min >= 0.49
        ? ' Every wait was at least half its ceiling: that looks like "equal jitter" (ceiling/2 + random × ceiling/2), not full jitter.'
        : '';
  const names = ['lower quarter [0%, 25%)', 'second quarter [25%, 50%)', 'third quarter [50%, 75%)', 'upper quarter [75%, 100%]'];
  for (let q = 0; q < 4; q++) {
    check(
      quarters[q]! > 0,
      `over ${ratios.length} backoff waits with Math.random() returning uniform random numbers, none fell in the ${names[q]} of its ceiling ` +
        `(waits ranged from ${pct(min)} to ${pct(max)} of the ceiling); full jitter draws each wait uniformly from [0, ceiling].${diagnosis}`,
    );
  }
});

test('draws the jitter from Math.random() (the same random numbers give the same waits)', async () => {
  const o = { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 5000 };
  const first = await sampleWaits('replay', 1, o);
  const second = await sampleWaits('replay', 1, o);
  const a = first.map((w) => w.ms).join(', ');
  const b = second.map((w) => w.ms).join(', ');
  check(
    a === b,
    `two runs with Math.random() returning the same numbers waited [${a}] ms and [${b}] ms; ` +
      'draw the jitter with Math.random() (and nothing else), so that a run can be replayed',
  );
});

test('rejects as soon as the last attempt fails, without a final wait', async () => {
  const random = switchableRandom();
  for (const [description, source] of RANDOM_SOURCES) {
    for (const maxAttempts of [1, 3]) {
      useVirtualTime();
      random.use(source('no final wait'), description);
      const { script, settled } = await runAllFailing({ maxAttempts, ...ATTEMPT_OPTIONS }, 25);
      check(settled.status === 'rejected', () => `every attempt failed, but retry ${describeSettled(settled)}; expected it to reject`);
      const last = script.calls[script.calls.length - 1]!;
      check(
        settled.atMs === last.endedAt,
        `the last attempt (attempt ${script.count} of maxAttempts = ${maxAttempts}) failed at ${last.endedAt} ms but retry rejected only at ${settled.atMs} ms ` +
          `(with ${description}); there is no attempt left to wait for: reject as soon as the last attempt fails`,
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Which errors are retried
// ---------------------------------------------------------------------------------------------

test('rethrows a non-retryable error at once, without another attempt', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('non-retryable'));
  const transient = new Error('503 Service Unavailable');
  const fatal = new Error('400 Bad Request');
  const seen: unknown[] = [];
  const script = new ScriptedOp((n) => ({ kind: 'reject', error: n === 1 ? transient : fatal, afterMs: 10 }));
  const s = await settle(
    start(script.op, {
      maxAttempts: 5,
      ...ATTEMPT_OPTIONS,
      retryable: (error) => {
        seen.push(error);
        return error !== fatal;
      },
    }),
  );
  await advance(60_000);
  check(
    script.count === 2,
    `op(2) failed with an error for which retryable returned false, yet op was called ${script.count} times in all; ` +
      'a non-retryable error must be rethrown at once, with no further attempt',
  );
  check(
    seen.includes(transient),
    `op(1) failed with ${describeThrown(transient)}, but retryable was never called with that error object; call options.retryable(error) to decide whether to retry`,
  );
  check(
    s.status === 'rejected' && s.reason === fatal,
    () => `op(2) failed with the non-retryable ${describeThrown(fatal)}, but retry ${describeSettled(s)}; expected it to reject with that same error object`,
  );
  const ended = script.calls[1]?.endedAt;
  check(s.atMs === ended, `op(2) failed with a non-retryable error at ${ended} ms, but retry rejected only at ${s.atMs} ms; expected it to rethrow at once, without waiting`);
});

test('counts a synchronous throw from op as a failed attempt and retries it', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('sync throw'));
  const value = { ok: true };
  const script = new ScriptedOp((n) => (n < 3 ? { kind: 'throw', error: new Error(`attempt ${n} threw`) } : { kind: 'resolve', value }));
  const escaped = (error: unknown) =>
    `op threw synchronously (before returning a promise) and the exception escaped from retry() (${describeThrown(error)}); ` +
    'a synchronous throw counts as a failed attempt: catch it and retry';
  const s = await settle(start(script.op, { maxAttempts: 4, ...ATTEMPT_OPTIONS }, escaped));
  check(
    s.status === 'fulfilled' && s.value === value,
    () =>
      `op(1) and op(2) threw synchronously (before returning a promise) and op(3) would have succeeded, but retry ${describeSettled(s)} ` +
      `after ${script.count} call${script.count === 1 ? '' : 's'} of op; a synchronous throw counts as a failed attempt and must be retried`,
  );

  // And when every attempt throws synchronously, the last thrown error comes out, as it is.
  useVirtualTime();
  const thrown: unknown[] = [];
  const allThrow = new ScriptedOp((n) => {
    const error = new Error(`attempt ${n} threw`);
    thrown.push(error);
    return { kind: 'throw', error };
  });
  const s2 = await settle(start(allThrow.op, { maxAttempts: 2, ...ATTEMPT_OPTIONS }, escaped));
  check(
    s2.status === 'rejected' && s2.reason === thrown[thrown.length - 1] && allThrow.count === 2,
    () => `with maxAttempts = 2 and op throwing synchronously every time, retry ${describeSettled(s2)} after ${allThrow.count} calls; expected 2 calls, then a rejection with the error thrown by attempt 2`,
  );
});

// ---------------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------------

test('rejects with signal.reason without calling op when the signal is already aborted', async () => {
  for (const reason of [new Error('request cancelled by the caller'), 'cancelled', { why: 'shutdown' }]) await alreadyAborted(reason);
});

async function alreadyAborted(reason: unknown): Promise<void> {
  useVirtualTime();
  controlMathRandom(() => 0.5);
  const controller = new AbortController();
  controller.abort(reason);
  const script = alwaysFailing(0);
  const t = track(start(script.op, { maxAttempts: 3, ...ATTEMPT_OPTIONS, signal: controller.signal }));
  await flushMicrotasks();
  check(script.count === 0, `the signal was already aborted, yet op was called ${script.count} time${script.count === 1 ? '' : 's'}; expected retry to reject without calling op`);
  check(t.settled !== undefined, 'the signal was already aborted, but retry was still pending; expected it to reject at once with signal.reason');
  check(
    !t.settled.ok && t.settled.value === reason,
    () => `the signal was already aborted, but retry ${t.settled!.ok ? 'resolved with' : 'rejected with'} ${describeThrown(t.settled!.value)}; expected it to reject with signal.reason itself (${describeThrown(reason)})`,
  );
}

/** Starts a retry whose attempts fail at once, and lets time run until attempt `n` has failed. */
async function failUntilAttempt(n: number, signal: AbortSignal): Promise<{ script: ScriptedOp; t: ReturnType<typeof track> }> {
  const script = alwaysFailing(0);
  const t = track(start(script.op, { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, signal }));
  await flushMicrotasks();
  // Up to 20 s of virtual time, timer by timer (advance() stopped early): it stops at the very moment
  // attempt n is called, as 1 ms steps would, without a probe timer and two macrotasks per millisecond.
  let deadlinePassed = false;
  const deadline = setTimeout(() => { deadlinePassed = true; }, 20_000);
  while (!deadlinePassed && script.count < n && t.settled === undefined) {
    vi.advanceTimersToNextTimer();
    await flushMicrotasks();
  }
  clearTimeout(deadline);
  check(script.count === n, `op was called ${script.count} times; expected attempt ${n} to have failed by now (retry ${t.settled ? (t.settled.ok ? 'resolved' : `rejected with ${describeThrown(t.settled.value)}`) : 'is pending'})`);
  check(t.settled === undefined, () => `attempt ${n} of 5 failed, and retry already ${t.settled!.ok ? 'resolved' : `rejected with ${describeThrown(t.settled!.value)}`}; expected it to wait and retry`);
  return { script, t };
}

test('rejects at once with signal.reason when the signal is aborted during a backoff wait, and makes no further attempt', async () => {
  for (const [n, reason] of [[1, new Error('request cancelled by the caller')], [2, 'cancelled'], [1, { why: 'shutdown' }]] as const) {
    useVirtualTime();
    controlMathRandom(() => 0.5);
    const controller = new AbortController();
    const { script, t } = await failUntilAttempt(n, controller.signal);
    const abortedAt = virtualNow();
    controller.abort(reason);
    await flushMicrotasks();
    check(
      t.settled !== undefined,
      `the signal was aborted during the backoff wait after attempt ${n}, and retry was still pending with no virtual time passing; ` +
        'expected it to reject at once with signal.reason, without waiting for the timer to fire (listen for the signal\'s "abort" event)',
    );
    check(
      !t.settled.ok && t.settled.value === reason,
      () => `the signal was aborted during a backoff wait, but retry ${t.settled!.ok ? 'resolved with' : 'rejected with'} ${describeThrown(t.settled!.value)}; expected it to reject with signal.reason itself (${describeThrown(reason)})`,
    );
    check(t.settled.atMs === abortedAt, `the signal was aborted at ${abortedAt} ms but retry rejected at ${t.settled.atMs} ms; expected it at once`);
    await advance(60_000);
    check(script.count === n, `the signal was aborted during the wait after attempt ${n}, yet op was called again (${script.count} calls in all); expected no further attempt`);
  }
});

test('clears its backoff timer when aborted during a wait (no timer left pending)', async () => {
  useVirtualTime();
  controlMathRandom(() => 0.5);
  const controller = new AbortController();
  const { t } = await failUntilAttempt(1, controller.signal);
  const before = pendingTimers();
  controller.abort(new Error('cancelled'));
  await flushMicrotasks();
  check(t.settled !== undefined && !t.settled.ok, 'the signal was aborted during a backoff wait but retry did not reject at once; expected it to reject with signal.reason');
  const left = pendingTimers();
  check(
    left === 0,
    `after retry rejected because of the abort, ${left} timer${left === 1 ? ' was' : 's were'} left pending (${before} before the abort); ` +
      'clear the backoff timer (clearTimeout) when the signal aborts, so a cancelled retry leaves nothing scheduled',
  );
});

test('makes no further attempt once the signal is aborted while an attempt runs', async () => {
  useVirtualTime();
  controlMathRandom(() => 0.5);
  const controller = new AbortController();
  const script = alwaysFailing(100);
  const t = track(start(script.op, { maxAttempts: 5, ...ATTEMPT_OPTIONS, signal: controller.signal }));
  await advance(40);
  check(script.count === 1, `op was called ${script.count} times by 40 ms; expected only attempt 1 (which takes 100 ms to fail)`);
  controller.abort(new Error('cancelled'));
  await advance(60_000);
  check(script.count === 1, `the signal was aborted while attempt 1 was running, yet op was called again (${script.count} calls in all); expected no further attempt`);
  check(t.settled !== undefined && !t.settled.ok, () => `the signal was aborted while attempt 1 was running and attempt 1 then failed, but retry ${t.settled ? `resolved with ${show(t.settled.value)}` : 'never settled'}; expected it to reject`);
});
