import { test, vi } from 'vitest';
import {
  advance,
  flushMicrotasks,
  check,
  describeThrown,
  fail,
  pendingTimers,
  settle,
  show,
  streamFor,
  useVirtualTime,
  virtualNow,
  describeSettled,
  stacklessError,
} from 'learn-ds/harness';
import { RetryBudget, callWithBudget, parseRetryAfter } from 'learn-ds/subject/retry-budget';

type Budget = InstanceType<typeof RetryBudget>;
interface BudgetOptions {
  ratio: number;
  minRetriesPerSecond: number;
  windowMs: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function notYet(what: string, error: unknown): void {
  if (error instanceof Error && error.message.startsWith('TODO')) fail(`${what} is not implemented yet (it threw ${describeThrown(error)})`);
}

function describeOptions(o: BudgetOptions): string {
  return `ratio ${show(o.ratio)}, minRetriesPerSecond ${show(o.minRetriesPerSecond)}, windowMs ${show(o.windowMs)}`;
}

function budget(o: BudgetOptions): Budget {
  try {
    return new RetryBudget(o);
  } catch (error) {
    notYet('new RetryBudget()', error);
    return fail(`new RetryBudget({ ${describeOptions(o)} }) threw ${describeThrown(error)}; these options are valid`);
  }
}

function record(b: Budget, n: number): void {
  for (let i = 0; i < n; i++) {
    try {
      b.recordRequest();
    } catch (error) {
      notYet('recordRequest()', error);
      throw error;
    }
  }
}

/** Asks for `n` retries in a row; returns the answers. */
function ask(b: Budget, n: number): unknown[] {
  const answers: unknown[] = [];
  for (let i = 0; i < n; i++) {
    try {
      answers.push(b.tryRetry());
    } catch (error) {
      notYet('tryRetry()', error);
      throw error;
    }
  }
  return answers;
}

/** `granted` trues followed by falses, `total` answers in all. */
function expectedAnswers(granted: number, total: number): boolean[] {
  return Array.from({ length: total }, (_, i) => i < granted);
}

function same(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function grantedOf(answers: readonly unknown[]): number {
  return answers.filter((a) => a === true).length;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------------------------------------
// RetryBudget: the allowance
// ---------------------------------------------------------------------------------------------

test('allows a retry while retries + 1 ≤ ratio × requests + minRetriesPerSecond × windowMs / 1000', () => {
  const cases: Array<{ o: BudgetOptions; requests: number; allowance: number }> = [
    { o: { ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1000 }, requests: 4, allowance: 2 },
    { o: { ratio: 0.25, minRetriesPerSecond: 1, windowMs: 2000 }, requests: 8, allowance: 4 },
    { o: { ratio: 0.1, minRetriesPerSecond: 0, windowMs: 1000 }, requests: 15, allowance: 1.5 },
    { o: { ratio: 0.1, minRetriesPerSecond: 0, windowMs: 1000 }, requests: 5, allowance: 0.5 },
    { o: { ratio: 0, minRetriesPerSecond: 0, windowMs: 1000 }, requests: 10, allowance: 0 },
  ];
  for (const { o, requests, allowance } of cases) {
    useVirtualTime();
    const b = budget(o);
    record(b, requests);
    const granted = Math.floor(allowance);
    const answers = ask(b, granted + 2);
    const expected = expectedAnswers(granted, granted + 2);
    if (same(answers, expected)) continue;
    const got = grantedOf(answers);
    let why = '';
    if (Number.isInteger(allowance) && got === allowance - 1) {
      why = ` One short: the retry that brings the count exactly to the allowance is allowed (retries + 1 ≤ allowance, not <).`;
    } else if (!Number.isInteger(allowance) && got === Math.ceil(allowance)) {
      why = ` A retry needs a whole unit of allowance: with retries = ${granted} and an allowance of ${show(allowance)}, retries + 1 = ${granted + 1} > ${show(allowance)}.`;
    }
    fail(
      `with ${plural(requests, 'request')} in the window (${describeOptions(o)}), ${granted + 2} calls of tryRetry() answered ${show(answers)}; ` +
        `expected ${show(expected)}: the allowance is ${show(o.ratio)} × ${requests} + ${show(o.minRetriesPerSecond)} × ${show(o.windowMs)} / 1000 = ${show(allowance)}, ` +
        `and a retry is allowed while retries + 1 ≤ allowance.${why}`,
    );
  }
});

test('with no traffic, allows exactly the minimum: minRetriesPerSecond × windowMs / 1000 retries', () => {
  const cases: Array<{ o: BudgetOptions; minimum: number }> = [
    { o: { ratio: 0.5, minRetriesPerSecond: 2, windowMs: 1500 }, minimum: 3 },
    { o: { ratio: 0.1, minRetriesPerSecond: 0.5, windowMs: 4000 }, minimum: 2 },
  ];
  for (const { o, minimum } of cases) {
    useVirtualTime();
    const b = budget(o);
    const answers = ask(b, minimum + 2);
    const expected = expectedAnswers(minimum, minimum + 2);
    check(
      same(answers, expected),
      () =>
        `a new budget (${describeOptions(o)}) with no request recorded answered ${show(answers)} to ${minimum + 2} calls of tryRetry(); expected ${show(expected)}: ` +
        `with no traffic the allowance is the minimum, ${show(o.minRetriesPerSecond)} × ${show(o.windowMs)} / 1000 = ${minimum} retries, so that a quiet client can still retry`,
    );
  }
});

test('a refused retry is not counted', () => {
  useVirtualTime();
  const o = { ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1000 };
  const b = budget(o);
  record(b, 2);
  const first = ask(b, 4);
  check(
    same(first, [true, false, false, false]),
    () => `with 2 requests in the window (${describeOptions(o)}, so an allowance of 1), 4 calls of tryRetry() answered ${show(first)}; expected [true, false, false, false]`,
  );
  record(b, 2);
  const after = ask(b, 2);
  check(
    same(after, [true, false]),
    () =>
      `after 2 requests, 1 granted retry and 3 refused ones, 2 more requests raised the allowance to 0.5 × 4 = 2, and then tryRetry() answered ${show(after)}; ` +
      'expected [true, false]: only granted retries count (1 so far), a refused retry must not be recorded',
  );
});

test('a granted retry does not raise the allowance (a retry is not a request)', () => {
  useVirtualTime();
  const o = { ratio: 1, minRetriesPerSecond: 0, windowMs: 1000 };
  const b = budget(o);
  record(b, 1);
  const answers = ask(b, 5);
  check(
    same(answers, [true, false, false, false, false]),
    () =>
      `with 1 request in the window (${describeOptions(o)}), 5 calls of tryRetry() answered ${show(answers)}; expected [true, false, false, false, false]: ` +
      'the allowance is 1 × 1 = 1. Only recordRequest() raises the allowance: a retry is not a request, or retries would pay for more retries',
  );
});

// ---------------------------------------------------------------------------------------------
// RetryBudget: the window
// ---------------------------------------------------------------------------------------------

test('a request counts while it is less than windowMs old, and not after', async () => {
  const o = { ratio: 1, minRetriesPerSecond: 0, windowMs: 1000 };

  useVirtualTime();
  let b = budget(o);
  record(b, 1);
  await advance(999);
  const young = ask(b, 1)[0];
  check(
    young === true,
    () =>
      `a request recorded 999 ms ago (${describeOptions(o)}) no longer counted: tryRetry() returned ${show(young)}; expected true: ` +
      'an event at time t counts while now − t < windowMs',
  );

  // Exactly windowMs old: now − t < windowMs no longer holds.
  useVirtualTime();
  b = budget(o);
  record(b, 1);
  await advance(1000);
  const edge = ask(b, 1)[0];
  check(
    edge === false,
    () =>
      `a request recorded exactly 1000 ms ago (${describeOptions(o)}) still counted: tryRetry() returned ${show(edge)}; expected false: ` +
      'an event at time t counts while now − t < windowMs, so not once now − t = windowMs',
  );

  // A fractional window: 999 ms < 999.5 ms still counts, 1000 ms does not.
  const half = { ...o, windowMs: 999.5 };
  for (const [age, counts] of [[999, true], [1000, false]] as const) {
    useVirtualTime();
    b = budget(half);
    record(b, 1);
    await advance(age);
    const answer = ask(b, 1)[0];
    check(
      answer === counts,
      () =>
        `a request recorded ${age} ms ago (${describeOptions(half)}) ${counts ? 'no longer' : 'still'} counted: tryRetry() returned ${show(answer)}; expected ${counts}: ` +
        `an event at time t counts while now − t < windowMs (${age} ${counts ? '<' : '≥'} ${half.windowMs})`,
    );
  }

  useVirtualTime();
  b = budget(o);
  record(b, 1);
  await advance(1001);
  const old = ask(b, 1)[0];
  check(
    old === false,
    () =>
      `a request recorded 1001 ms ago (${describeOptions(o)}) still counted: tryRetry() returned ${show(old)}; expected false: ` +
      'requests older than windowMs leave the window and stop counting',
  );

  useVirtualTime();
  const o2 = { ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1000 };
  b = budget(o2);
  record(b, 4);
  await advance(600);
  record(b, 2);
  await advance(500);
  const answers = ask(b, 3);
  check(
    same(answers, [true, false, false]),
    () =>
      `4 requests at 0 ms and 2 at 600 ms (${describeOptions(o2)}); at 1100 ms tryRetry() answered ${show(answers)}; expected [true, false, false]: ` +
      'only the 2 requests of 600 ms are still in the window (the others leave the window at 1000 ms), so the allowance is 0.5 × 2 = 1',
  );
});

test('granted retries leave the window too', async () => {
  useVirtualTime();
  const o = { ratio: 0, minRetriesPerSecond: 1, windowMs: 1000 };
  const b = budget(o);
  const timeline: string[] = [];
  const at = (expected: boolean) => {
    const answer = ask(b, 1)[0];
    timeline.push(`  at ${virtualNow()} ms: tryRetry() → ${show(answer)} (expected ${expected})`);
    return answer;
  };
  const first = at(true);
  check(first === true, () => `a new budget (${describeOptions(o)}) refused its first retry (tryRetry() returned ${show(first)}); expected true: the minimum allowance is 1 × 1000 / 1000 = 1`);
  await advance(500);
  const second = at(false);
  check(second === false, () => `a budget (${describeOptions(o)}, allowance 1) granted a second retry 500 ms after the first; expected false`, timeline.join('\n'));
  await advance(501);
  const third = at(true);
  check(
    third === true,
    () =>
      `the retry granted at 0 ms was still counted at 1001 ms (${describeOptions(o)}): tryRetry() returned ${show(third)}; expected true: ` +
      'granted retries leave the window after windowMs too',
    timeline.join('\n'),
  );
  await advance(400);
  const fourth = at(false);
  check(fourth === false, () => `at 1401 ms the retry granted at 1001 ms is still in the window, yet tryRetry() returned ${show(fourth)}; expected false (allowance 1)`, timeline.join('\n'));
});

test('after a long quiet period, the allowance is back to the minimum (not more, not less)', async () => {
  useVirtualTime();
  const o = { ratio: 0.5, minRetriesPerSecond: 1, windowMs: 2000 };
  const b = budget(o);
  record(b, 100);
  const busy = ask(b, 30);
  check(
    busy.every((a) => a === true),
    () => `with 100 requests in the window (${describeOptions(o)}, allowance 52), 30 calls of tryRetry() were not all granted: ${grantedOf(busy)} of 30 returned true`,
  );
  await advance(60_000);
  const answers = ask(b, 4);
  const got = grantedOf(answers);
  check(
    same(answers, [true, true, false, false]),
    () =>
      `a minute after 100 requests and 30 granted retries (${describeOptions(o)}), tryRetry() answered ${show(answers)}; expected [true, true, false, false]: ` +
      `all of them left the window long ago, so the allowance is back to the minimum, 1 × 2000 / 1000 = 2 retries` +
      (got > 2 ? '. Your budget still counted the old requests: forget the events that leave the window' : '') +
      (got < 2 ? '. Your budget allowed fewer: does it still count the old retries (forget the events that leave the window), or leave out the minimum?' : ''),
  );
});

test('the constructor throws a RangeError for invalid options', () => {
  useVirtualTime();
  const valid = { ratio: 0.1, minRetriesPerSecond: 1, windowMs: 10_000 };
  const invalid: Array<[keyof BudgetOptions, number]> = [
    ['ratio', -0.1],
    ['ratio', Number.NaN],
    ['ratio', Number.POSITIVE_INFINITY],
    ['minRetriesPerSecond', -1],
    ['minRetriesPerSecond', Number.NaN],
    ['minRetriesPerSecond', Number.POSITIVE_INFINITY],
    ['windowMs', 0],
    ['windowMs', -1000],
    ['windowMs', Number.NaN],
    ['windowMs', Number.POSITIVE_INFINITY],
  ];
  for (const [key, value] of invalid) {
    const o = { ...valid, [key]: value };
    let threw: unknown;
    try {
      new RetryBudget(o);
    } catch (error) {
      notYet('new RetryBudget()', error);
      threw = error;
    }
    const what = `new RetryBudget({ ${describeOptions(o)} })`;
    check(threw !== undefined, () => `${what} did not throw; expected a RangeError (${key} = ${show(value)} is invalid)`);
    check(
      threw instanceof RangeError || (threw instanceof Error && threw.name === 'RangeError'),
      () => `${what} threw ${describeThrown(threw)}; expected a RangeError`,
    );
  }
  for (const o of [{ ...valid, ratio: 0 }, { ...valid, minRetriesPerSecond: 0 }]) {
    budget(o);
  }
});

// ---------------------------------------------------------------------------------------------
// parseRetryAfter
// ---------------------------------------------------------------------------------------------

function parse(value: string, nowMs: number): unknown {
  try {
    return parseRetryAfter(value, nowMs);
  } catch (error) {
    notYet('parseRetryAfter()', error);
    return fail(`parseRetryAfter(${show(value)}, ${nowMs}) threw ${describeThrown(error)}; it must return a number or undefined, never throw`);
  }
}

const SOME_NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

test('parseRetryAfter turns delay-seconds into milliseconds', () => {
  for (const [value, ms] of [['120', 120_000], ['0', 0], ['3600', 3_600_000], ['5', 5000]] as const) {
    const got = parse(value, SOME_NOW);
    check(
      got === ms,
      () =>
        `parseRetryAfter(${show(value)}, ${SOME_NOW}) returned ${show(got)}; expected ${ms}: "${value}" is a delay in seconds, and parseRetryAfter returns milliseconds`,
    );
  }
});

test('parseRetryAfter turns an HTTP-date into the milliseconds left until it (0 if it is past)', () => {
  const cases: Array<{ value: string; now: number; ms: number; when: string }> = [
    { value: 'Wed, 21 Oct 2015 07:28:00 GMT', now: Date.UTC(2015, 9, 21, 7, 27, 0), ms: 60_000, when: 'one minute before it' },
    { value: 'Sun, 06 Nov 1994 08:49:37 GMT', now: Date.UTC(1994, 10, 6, 8, 49, 7, 500), ms: 29_500, when: '29.5 s before it' },
    { value: 'Fri, 01 Jan 2027 00:00:00 GMT', now: Date.UTC(2026, 11, 31, 23, 0, 0), ms: 3_600_000, when: 'an hour before it' },
    { value: 'Wed, 21 Oct 2015 07:28:00 GMT', now: Date.UTC(2015, 9, 21, 7, 30, 0), ms: 0, when: 'two minutes after it' },
  ];
  for (const { value, now, ms, when } of cases) {
    const got = parse(value, now);
    check(
      got === ms,
      () =>
        `parseRetryAfter(${show(value)}, nowMs) with nowMs ${when} (${new Date(now).toISOString()}) returned ${show(got)}; expected ${ms}: ` +
        (ms === 0
          ? 'an HTTP-date in the past means "retry now": 0'
          : 'an HTTP-date is the moment to retry at; return the milliseconds from nowMs to it'),
    );
  }
});

test('parseRetryAfter returns undefined for anything that is neither delay-seconds nor an HTTP-date', () => {
  for (const value of ['-5', '1.5', 'soon', '', '1 20', '1e3', '12abc', '0x10', '+30', 'tomorrow at noon']) {
    const got = parse(value, SOME_NOW);
    const lenient = !Number.isNaN(Date.parse(value)) && !/^\d+$/.test(value);
    check(
      got === undefined,
      () =>
        `parseRetryAfter(${show(value)}, ${SOME_NOW}) returned ${show(got)}; expected undefined: the value is neither delay-seconds (digits only) nor an HTTP-date` +
        (lenient ? ` (Date.parse(${show(value)}) accepts it as a date, but it is no IMF-fixdate: check the shape before parsing)` : ''),
    );
  }
});

// ---------------------------------------------------------------------------------------------
// callWithBudget, with a stand-in budget
// ---------------------------------------------------------------------------------------------

/** A stand-in budget that answers tryRetry() from a script and records how it was used. */
class StandInBudget {
  requests = 0;
  readonly asks: number[] = [];
  constructor(private readonly answer: (ask: number) => boolean) {}
  recordRequest(): void {
    this.requests++;
  }
  tryRetry(): boolean {
    this.asks.push(virtualNow());
    return this.answer(this.asks.length);
  }
  asBudget(): Budget {
    return this as unknown as Budget;
  }
}

interface Call {
  attempt: unknown;
  startedAt: number;
  endedAt?: number;
}

/** An op whose n-th call fails with `plan(n).error` or resolves with `plan(n).value`, after `afterMs`. */
class ScriptedOp {
  readonly calls: Call[] = [];
  constructor(
    private readonly plan: (n: number) => { error: unknown } | { value: unknown },
    private readonly afterMs = 10,
  ) {}

  readonly op = (attempt: number): Promise<unknown> => {
    const call: Call = { attempt, startedAt: virtualNow() };
    this.calls.push(call);
    const step = this.plan(this.calls.length);
    return new Promise((resolve, reject) => {
      const finish = () => {
        call.endedAt = virtualNow();
        if ('error' in step) reject(step.error);
        else resolve(step.value);
      };
      if (this.afterMs > 0) setTimeout(finish, this.afterMs);
      else finish();
    });
  };

  get count(): number {
    return this.calls.length;
  }

  attempts(): string {
    return this.calls.map((c) => show(c.attempt)).join(', ');
  }

  /** The wait before attempt k+1, for k = 1, 2, … */
  waits(): number[] {
    const waits: number[] = [];
    for (let i = 1; i < this.calls.length; i++) {
      const prev = this.calls[i - 1]!;
      if (prev.endedAt === undefined) fail(`attempt ${i + 1} started while attempt ${i} was still running; wait for each attempt to fail before the next one`);
      waits.push(this.calls[i]!.startedAt - prev.endedAt);
    }
    return waits;
  }
}

function start(op: (attempt: number) => Promise<unknown>, b: Budget, options: { maxAttempts: number; baseDelayMs: number }): Promise<unknown> {
  let result: unknown;
  try {
    result = callWithBudget(op, b, options);
  } catch (error) {
    notYet('callWithBudget()', error);
    fail(`callWithBudget() threw synchronously (${describeThrown(error)}) instead of returning a promise; failures must come out as a rejection`);
  }
  check(
    result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function'),
    () => `callWithBudget() returned ${show(result)}; expected a promise`,
  );
  return Promise.resolve(result);
}

function checkNoTimerLeft(after: string): void {
  const left = pendingTimers();
  check(left === 0, `${after}, ${left} timer${left === 1 ? ' was' : 's were'} left pending; expected none: a settled call leaves nothing scheduled`);
}

test('returns the value of a successful first attempt, recording one request and asking for no retry', async () => {
  useVirtualTime();
  const value = { id: 42 };
  const b = new StandInBudget(() => true);
  const script = new ScriptedOp(() => ({ value }));
  const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 3, baseDelayMs: 100 }));
  check(s.status === 'fulfilled' && s.value === value, () => `op(1) resolved with ${show(value)}, but callWithBudget ${describeSettled(s)}; expected that same value`);
  check(script.attempts() === '1', () => `op was called with attempt numbers [${script.attempts()}]; expected a single call, op(1)`);
  check(
    b.requests === 1,
    `callWithBudget called budget.recordRequest() ${plural(b.requests, 'time')} for one call; expected exactly once: each call is one request, however many attempts it makes`,
  );
  check(
    b.asks.length === 0,
    `op(1) succeeded, yet callWithBudget called budget.tryRetry() ${plural(b.asks.length, 'time')}; expected none: ask the budget only when about to retry (the first attempt is a request, recorded with recordRequest(), not a retry)`,
  );
  checkNoTimerLeft('after callWithBudget resolved');
});

test('retries a failed attempt when the budget allows it, and returns the first success', async () => {
  useVirtualTime();
  const value = { id: 'third' };
  const b = new StandInBudget(() => true);
  const script = new ScriptedOp((n) => (n < 3 ? { error: new Error(`attempt ${n} failed`) } : { value }));
  const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 5, baseDelayMs: 100 }));
  check(
    s.status === 'fulfilled' && s.value === value,
    () => `attempts 1 and 2 failed and attempt 3 resolved with ${show(value)} (the budget allowing every retry), but callWithBudget ${describeSettled(s)}; expected that same value`,
  );
  check(script.attempts() === '1, 2, 3', () => `op was called with attempt numbers [${script.attempts()}]; expected [1, 2, 3]`);
  check(b.requests === 1, `callWithBudget called budget.recordRequest() ${plural(b.requests, 'time')} for one call; expected exactly once: a retry is not a new request`);
  check(b.asks.length === 2, `two attempts failed, and callWithBudget called budget.tryRetry() ${plural(b.asks.length, 'time')}; expected 2, once before each retry`);
});

class UnavailableError extends Error {
  override name = 'UnavailableError';
}

test('rejects at once with the same error when the budget refuses a retry (an Error, a subclass, a string, an object, undefined)', async () => {
  for (const error of [new Error('503 Service Unavailable'), new UnavailableError('503'), 'overloaded', { status: 503 }, undefined, null] as const) {
    useVirtualTime();
    const b = new StandInBudget(() => false);
    const script = new ScriptedOp(() => ({ error }));
    const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 3, baseDelayMs: 100 }));
    check(script.count === 1, `the budget refused the retry, yet op was called ${plural(script.count, 'time')}; expected 1`);
    check(b.asks.length === 1, `attempt 1 failed with attempts left, and callWithBudget called budget.tryRetry() ${plural(b.asks.length, 'time')}; expected once`);
    check(
      s.status === 'rejected' && s.reason === error,
      () => `op(1) failed with ${describeThrown(error)} and the budget refused a retry, but callWithBudget ${describeSettled(s)}; expected it to reject with that same error (not a copy, not a wrapper)`,
    );
    const failedAt = script.calls[0]!.endedAt;
    check(s.atMs === failedAt, `attempt 1 failed at ${failedAt} ms and the budget refused a retry, but callWithBudget rejected only at ${s.atMs} ms; expected it to reject at once, without waiting`);
    checkNoTimerLeft('after callWithBudget rejected');
  }
});

test('asks the budget once per retry: never for the first attempt, never after the last', async () => {
  for (const maxAttempts of [3, 1]) {
    useVirtualTime();
    const b = new StandInBudget(() => true);
    const errors: Error[] = [];
    const script = new ScriptedOp((n) => {
      errors.push(new Error(`attempt ${n} failed`));
      return { error: errors[errors.length - 1] };
    });
    const s = await settle(start(script.op, b.asBudget(), { maxAttempts, baseDelayMs: 100 }));
    check(script.count === maxAttempts, `with maxAttempts ${maxAttempts}, every attempt failing and the budget allowing every retry, op was called ${plural(script.count, 'time')}; expected ${maxAttempts}`);
    check(
      b.asks.length === maxAttempts - 1,
      `with maxAttempts ${maxAttempts} and every attempt failing, callWithBudget called budget.tryRetry() ${plural(b.asks.length, 'time')}; expected ${maxAttempts - 1} ` +
        (maxAttempts === 1 ? '(with maxAttempts 1 there is never a retry)' : `(once before each of attempts 2 to ${maxAttempts})`) +
        ': ask the budget only when about to retry, not for the first attempt and not once no attempt remains (that would spend a retry for nothing)',
    );
    const last = errors[errors.length - 1];
    check(
      s.status === 'rejected' && s.reason === last,
      () => `every attempt failed, but callWithBudget ${describeSettled(s)}; expected it to reject with the last attempt's error, that same error (${describeThrown(last)})`,
    );
  }
});

test('waits baseDelayMs × 2^(k−1) before attempt k+1, and not after the last', async () => {
  useVirtualTime();
  const b = new StandInBudget(() => true);
  const script = new ScriptedOp((n) => ({ error: new Error(`attempt ${n} failed`) }));
  const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 4, baseDelayMs: 100 }));
  const waits = script.waits();
  check(
    same(waits, [100, 200, 400]),
    () =>
      `with baseDelayMs 100 and every attempt failing (no retryAfterMs), the waits between attempts were ${show(waits)} ms; expected [100, 200, 400]: ` +
      'baseDelayMs × 2^(k−1) before attempt k+1',
  );
  const lastEnd = script.calls[script.calls.length - 1]?.endedAt;
  check(s.status === 'rejected' && s.atMs === lastEnd, () => `the last attempt failed at ${lastEnd} ms but callWithBudget ${describeSettled(s)}; expected it to reject at once, without a final wait`);
  checkNoTimerLeft('after callWithBudget rejected');
});

test('honours retryAfterMs: waits max(retryAfterMs, baseDelayMs × 2^(k−1))', async () => {
  useVirtualTime();
  const b = new StandInBudget(() => true);
  const value = { ok: true };
  const hints = [1500, 50, 0];
  const script = new ScriptedOp((n) =>
    n <= hints.length ? { error: Object.assign(new Error(`503 (attempt ${n})`), { retryAfterMs: hints[n - 1] }) } : { value },
  );
  const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 5, baseDelayMs: 100 }));
  check(s.status === 'fulfilled' && s.value === value, () => `attempts 1 to 3 failed and attempt 4 resolved with ${show(value)}, but callWithBudget ${describeSettled(s)}; expected that same value`);
  const waits = script.waits();
  const expected = [1500, 200, 400];
  for (let k = 1; k <= expected.length; k++) {
    const backoff = 100 * 2 ** (k - 1);
    check(
      waits[k - 1] === expected[k - 1],
      () =>
        `attempt ${k} failed with an error carrying retryAfterMs = ${hints[k - 1]} (the server's Retry-After), and attempt ${k + 1} started ${show(waits[k - 1])} ms later; ` +
        `expected ${expected[k - 1]} ms: wait max(retryAfterMs, backoff) = max(${hints[k - 1]}, ${backoff})` +
        (k === 1 ? ': a server that asks for 1.5 s of quiet must get it' : ''),
    );
  }
  checkNoTimerLeft('after callWithBudget resolved');
});

test('waits the backoff alone when the error carries no usable retryAfterMs (none, undefined, NaN, negative, a string; not an object at all)', async () => {
  const errors: Array<[string, unknown]> = [
    ['retryAfterMs: undefined (parseRetryAfter found no valid header)', Object.assign(new Error('503'), { retryAfterMs: undefined })],
    ['retryAfterMs: NaN', Object.assign(new Error('503'), { retryAfterMs: Number.NaN })],
    ['retryAfterMs: -1', Object.assign(new Error('503'), { retryAfterMs: -1 })],
    ["retryAfterMs: '5000' (a string)", Object.assign(new Error('503'), { retryAfterMs: '5000' })],
    ['the string "overloaded"', 'overloaded'],
    ['undefined', undefined],
    ['null', null],
  ];
  for (const [what, error] of errors) {
    useVirtualTime();
    const b = new StandInBudget(() => true);
    const value = { ok: true };
    const script = new ScriptedOp((n) => (n === 1 ? { error } : { value }));
    const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 3, baseDelayMs: 100 }));
    check(
      s.status === 'fulfilled' && s.value === value,
      () => `attempt 1 failed with ${what} and attempt 2 resolved with ${show(value)}, but callWithBudget ${describeSettled(s)}; expected that same value`,
    );
    const wait = script.waits()[0];
    check(
      wait === 100,
      () => `attempt 1 failed with ${what}, and attempt 2 started ${show(wait)} ms later; expected the backoff alone, baseDelayMs × 2^0 = 100 ms: ` +
        'only a number ≥ 0 in retryAfterMs is a wait the server asked for',
    );
  }
});

test('honours retryAfterMs on a plain object too (not only on an Error)', async () => {
  useVirtualTime();
  const b = new StandInBudget(() => true);
  const value = { ok: true };
  const script = new ScriptedOp((n) => (n === 1 ? { error: { status: 503, retryAfterMs: 700 } } : { value }));
  const s = await settle(start(script.op, b.asBudget(), { maxAttempts: 3, baseDelayMs: 100 }));
  check(s.status === 'fulfilled' && s.value === value, () => `attempt 2 resolved with ${show(value)}, but callWithBudget ${describeSettled(s)}; expected that same value`);
  const wait = script.waits()[0];
  check(
    wait === 700,
    () => `attempt 1 failed with { status: 503, retryAfterMs: 700 }, and attempt 2 started ${show(wait)} ms later; expected max(700, 100) = 700 ms: ` +
      'any object with a numeric retryAfterMs ≥ 0 asks for that wait, Error or not',
  );
});

// ---------------------------------------------------------------------------------------------
// The whole: your RetryBudget shared by many calls
// ---------------------------------------------------------------------------------------------

const SHARED = { ratio: 0.1, minRetriesPerSecond: 0.1, windowMs: 10_000 };
const REQUESTS = 1000;
const EVERY_MS = 100;
const CALL = { maxAttempts: 3, baseDelayMs: 50 };

/**
 * advance(ms), with less work when the code under test has scheduled nothing: once its promise
 * callbacks have run and no timer is pending, nothing can happen before `ms`, so the clock just moves
 * (what advance() would do, without a probe timer and a second real macrotask).
 */
async function advanceCheaply(ms: number): Promise<void> {
  await flushMicrotasks();
  if (vi.getTimerCount() === 0) vi.advanceTimersByTime(ms);
  else await advance(ms);
}

/** Sends REQUESTS calls, one every EVERY_MS, through one shared budget; returns how they settled. */
async function steadyTraffic(fails: (request: number, attempt: number) => boolean): Promise<{ outcomes: Array<{ ok: boolean; value: unknown } | undefined>; calls: number[]; errors: unknown[][] }> {
  const b = budget(SHARED);
  const outcomes: Array<{ ok: boolean; value: unknown } | undefined> = [];
  const calls: number[] = [];
  const errors: unknown[][] = [];
  for (let i = 0; i < REQUESTS; i++) {
    errors.push([]);
    const op = (attempt: number): Promise<unknown> => {
      calls.push(virtualNow());
      if (fails(i, attempt)) {
        const error = stacklessError(`503 Service Unavailable (request ${i + 1}, attempt ${attempt})`);
        errors[i]!.push(error);
        return Promise.reject(error);
      }
      return Promise.resolve(`response ${i + 1}`);
    };
    start(op, b, CALL).then(
      (value) => { outcomes[i] = { ok: true, value }; },
      (value: unknown) => { outcomes[i] = { ok: false, value }; },
    );
    await advanceCheaply(EVERY_MS);
  }
  await advance(60_000);
  const pending = outcomes.filter((o) => o === undefined).length + (REQUESTS - outcomes.length);
  check(pending === 0, `${pending} of ${REQUESTS} calls of callWithBudget were still pending a minute after the last one started; expected every call to settle`);
  return { outcomes, calls, errors };
}

test('during an outage, the shared budget caps the load at about 1 + ratio (1,000 failing requests, maxAttempts 3, ratio 0.1)', async () => {
  useVirtualTime();
  const { outcomes, calls, errors } = await steadyTraffic(() => true);
  const wrong = outcomes.findIndex((o, i) => o === undefined || o.ok || o.value !== errors[i]![errors[i]!.length - 1]);
  check(
    wrong === -1,
    () =>
      `during the outage, call ${wrong + 1} ${outcomes[wrong]?.ok ? `resolved with ${show(outcomes[wrong]?.value)}` : `rejected with ${describeThrown(outcomes[wrong]?.value)}`}; ` +
      'expected it to reject with the error of its last attempt, that same error',
  );
  // Requests are spread evenly: a window of windowMs holds at most 100 of them, so it grants at most
  // ratio × 100 + the minimum = 11 retries. The run's retries fall within `windows` windows.
  const perWindow = SHARED.ratio * (SHARED.windowMs / EVERY_MS) + (SHARED.minRetriesPerSecond * SHARED.windowMs) / 1000;
  const spanMs = calls[calls.length - 1]! - calls[0]!;
  const windows = Math.floor(spanMs / SHARED.windowMs) + 1;
  const bound = REQUESTS + windows * perWindow;
  const factor = (n: number) => `${show(Math.round((n / REQUESTS) * 100) / 100)}x`;
  check(
    calls.length <= bound,
    () =>
      `an outage multiplied load by ${factor(calls.length)}: ${REQUESTS.toLocaleString('en-US')} requests (one every ${EVERY_MS} ms, every attempt failing, maxAttempts 3) made ${calls.length.toLocaleString('en-US')} calls of op; ` +
      `a budget of ratio 0.1 allows at most ${factor(bound)} (${bound.toLocaleString('en-US')} calls: at most 0.1 × 100 requests + the minimum of 0.1 × 10 = ${perWindow} retries in each 10 s window, ` +
      `over the ${windows} windows of the ${show(spanMs / 1000)} s run). Share one budget between all calls and ask it before every retry`,
  );
  checkNoTimerLeft('after every call settled');
});

test('isolated failures are all retried (1% of 1,000 requests fail once, with a shared budget of ratio 0.1)', async () => {
  useVirtualTime();
  const random = streamFor('isolated failures');
  // Drawn after the first window's requests: until a window's worth of requests has been seen, the
  // budget grants fewer than 11 retries (two failures among the first 10 requests are rightly
  // refused a second retry), and "in isolation" means at the steady allowance.
  const firstWindow = SHARED.windowMs / EVERY_MS;
  const failing = new Set<number>();
  while (failing.size < REQUESTS / 100) failing.add(firstWindow + Math.floor(random() * (REQUESTS - firstWindow)));
  const { outcomes, calls } = await steadyTraffic((request, attempt) => attempt === 1 && failing.has(request));
  const lost = [...failing].filter((i) => !outcomes[i]?.ok).sort((a, b) => a - b);
  check(
    lost.length === 0,
    () =>
      `${lost.length} of the ${failing.size} requests whose first attempt failed (1% of ${REQUESTS.toLocaleString('en-US')}, one every ${EVERY_MS} ms, each failing once in isolation) were not retried: ` +
      `request ${lost[0]! + 1} ${outcomes[lost[0]!] ? `rejected with ${describeThrown(outcomes[lost[0]!]!.value)}` : 'never settled'}. ` +
      `Expected every one to be retried and to succeed: a budget of ratio 0.1 grants 0.1 × 100 + 1 = 11 retries per 10 s window. ` +
      'Is your budget spending retries on first attempts?',
  );
  const others = outcomes.findIndex((o, i) => !failing.has(i) && !o?.ok);
  check(others === -1, () => `request ${others + 1} never failed, yet callWithBudget did not resolve with its value (${outcomes[others] ? describeThrown(outcomes[others]!.value) : 'pending'})`);
  check(
    calls.length === REQUESTS + failing.size,
    `${REQUESTS} requests, ${failing.size} of them failing once, made ${calls.length} calls of op; expected ${REQUESTS + failing.size} (one retry for each failure)`,
  );
  checkNoTimerLeft('after every call settled');
});
