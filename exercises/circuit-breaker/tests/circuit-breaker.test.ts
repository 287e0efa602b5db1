import fc from 'fast-check';
import { test } from 'vitest';
import {
  advance,
  check,
  describeThrown,
  fail,
  flushMicrotasks,
  holds,
  streamFor,
  useVirtualTime,
  virtualNow,
} from 'learn-ds/harness';
import { CircuitBreaker, CircuitOpenError } from 'learn-ds/subject/circuit-breaker';

type Breaker = InstanceType<typeof CircuitBreaker>;

interface Settings {
  failureThreshold: number;
  resetTimeoutMs: number;
}

/** Per-test settings drawn from the suite's seed: failureThreshold 2..5, resetTimeoutMs 200..5000. */
function settingsFor(label: string): Settings {
  const random = streamFor(label);
  return {
    failureThreshold: 2 + Math.floor(random() * 4),
    resetTimeoutMs: 100 * (2 + Math.floor(random() * 49)),
  };
}

function describeSettings(s: Settings): string {
  return `failureThreshold = ${s.failureThreshold}, resetTimeoutMs = ${s.resetTimeoutMs}`;
}

function failures(count: number): string {
  return count === 1 ? '1 failure' : `${count} failures`;
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : describeThrown(value).replace(/ \(not an Error\)$/, '');
}

/** Reads `state`, turning a throwing getter into a learner's message. */
function stateOf(breaker: Breaker): unknown {
  try {
    return breaker.state;
  } catch (error) {
    fail(`reading \`state\` threw ${describeThrown(error)}`);
  }
}

function expectState(breaker: Breaker, expected: string, when: string, why = ''): void {
  const actual = stateOf(breaker);
  check(actual === expected, () => `${when}, state read ${quote(actual)}; expected '${expected}'${why ? ` (${why})` : ''}`);
}

type Result =
  | { kind: 'value'; value: unknown }
  | { kind: 'error'; reason: unknown }
  | { kind: 'pending' };

/** One call to the breaker, observed from the outside. */
class Attempt {
  opCalls = 0;
  result: Result = { kind: 'pending' };
  readonly value = { answer: 42 };
  readonly error: unknown;
  #settleOp: ((ok: boolean) => void) | undefined;
  #heldOk = false;

  /** Starts `breaker.call(op)`; `outcome` 'hold' keeps op's promise pending until `finish`. */
  /** `error`: what op rejects with (given even when it is undefined), by default a fresh Error. */
  constructor(breaker: Breaker, readonly outcome: 'ok' | 'fail' | 'hold', ...error: [unknown?]) {
    this.error = error.length > 0 ? error[0] : new Error('downstream failure');
    const op = (): Promise<unknown> => {
      this.opCalls++;
      if (outcome === 'ok') return Promise.resolve(this.value);
      if (outcome === 'fail') return Promise.reject(this.error);
      return new Promise((resolve, reject) => {
        this.#settleOp = (ok) => (ok ? resolve(this.value) : reject(this.error));
      });
    };
    let returned: unknown;
    try {
      returned = breaker.call(op);
    } catch (error) {
      fail(
        `call() threw ${describeThrown(error)} synchronously; it must return a promise that rejects ` +
          '(declare `call` as `async`, or return `Promise.reject(...)`)',
      );
    }
    if (!(returned instanceof Promise) && typeof (returned as { then?: unknown } | null)?.then !== 'function') {
      fail(`call() returned ${quote(returned)}; expected a promise`);
    }
    (returned as Promise<unknown>).then(
      (value) => { this.result = { kind: 'value', value }; },
      (reason: unknown) => { this.result = { kind: 'error', reason }; },
    );
  }

  /** Settles a held op with success or failure, then lets the breaker react. */
  async finish(ok: boolean): Promise<void> {
    this.#heldOk = ok;
    this.#settleOp?.(ok);
    await flushMicrotasks();
  }

  /** Whether op succeeded (for a held op, once it was finished). */
  get opSucceeded(): boolean {
    return this.outcome === 'ok' || (this.outcome === 'hold' && this.#heldOk);
  }

  describeResult(): string {
    const r = this.result;
    if (r.kind === 'pending') return "call()'s promise was still pending although op had already settled";
    if (r.kind === 'value') return r.value === this.value ? "call() resolved with op's value" : `call() resolved with ${quote(r.value)}`;
    if (r.reason === this.error) return "call() rejected with op's own error";
    if (r.reason instanceof CircuitOpenError) return 'call() rejected with a CircuitOpenError';
    return `call() rejected with ${describeThrown(r.reason)}`;
  }
}

/** Calls the breaker once with an op that settles at once, and waits for the call to settle. */
async function attempt(breaker: Breaker, outcome: 'ok' | 'fail'): Promise<Attempt> {
  const a = new Attempt(breaker, outcome);
  await flushMicrotasks();
  return a;
}

/** The call must have reached op exactly once and passed its result through unchanged. */
function expectPassedThrough(a: Attempt, when: string): void {
  check(
    a.opCalls === 1,
    () => a.opCalls === 0
      ? `${when}, call() did not call op (${a.describeResult()}); expected the call to go through to op`
      : `${when}, call() called op ${a.opCalls} times; expected exactly once`,
  );
  if (a.opSucceeded) {
    check(
      a.result.kind === 'value' && a.result.value === a.value,
      () => `${when}, op resolved but ${a.describeResult()}; expected it to resolve with op's value`,
    );
  } else {
    check(
      a.result.kind === 'error' && a.result.reason === a.error,
      () => `${when}, op rejected and ${a.describeResult()}; expected it to reject with op's own error, ` +
        'the same object (rethrow it as it is, do not wrap it or replace it)',
    );
  }
}

/** The call must have been refused: rejected with the learner's CircuitOpenError, op never called. */
function expectRefused(a: Attempt, when: string, why: string): void {
  check(
    a.opCalls === 0,
    () => `${when}, call() called op; expected it to reject with CircuitOpenError without calling op (${why})`,
  );
  check(
    a.result.kind === 'error' && a.result.reason instanceof CircuitOpenError,
    () => `${when}, ${a.describeResult()}; expected it to reject with an instance of your CircuitOpenError (${why})`,
  );
}

/** A breaker driven to 'open' by failureThreshold failures; returns it once it is open. */
async function openedBreaker(s: Settings): Promise<Breaker> {
  const breaker = new CircuitBreaker(s);
  for (let i = 1; i <= s.failureThreshold; i++) {
    expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${i} of ${s.failureThreshold} while closed (${describeSettings(s)})`);
  }
  expectState(breaker, 'open', `after ${failures(s.failureThreshold)} in a row`, `failureThreshold = ${s.failureThreshold}`);
  return breaker;
}

/** An opened breaker whose resetTimeoutMs has just passed (resetTimeoutMs + 1 ms later). */
async function halfOpenBreaker(s: Settings): Promise<Breaker> {
  const breaker = await openedBreaker(s);
  await advance(s.resetTimeoutMs + 1);
  expectState(breaker, 'half-open', `${s.resetTimeoutMs + 1} ms after the circuit opened`, `resetTimeoutMs = ${s.resetTimeoutMs}`);
  return breaker;
}

test("a new breaker is 'closed' and passes calls through to op", async () => {
  useVirtualTime();
  const s = settingsFor('new');
  const breaker = new CircuitBreaker(s);
  expectState(breaker, 'closed', 'on a new breaker');
  expectPassedThrough(await attempt(breaker, 'ok'), 'on a new breaker, with an op that resolves');
  expectPassedThrough(await attempt(breaker, 'fail'), 'on a closed breaker, with an op that rejects');
  expectState(breaker, 'closed', `after one failure (${describeSettings(s)})`);
});

test('stays closed while consecutive failures stay below failureThreshold', async () => {
  useVirtualTime();
  const s = settingsFor('below');
  const n = s.failureThreshold;
  const breaker = new CircuitBreaker(s);
  for (let i = 1; i < n; i++) {
    expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${i} while closed (${describeSettings(s)})`);
  }
  expectState(breaker, 'closed', `after ${failures(n - 1)} in a row, one fewer than failureThreshold = ${n}`);
  expectPassedThrough(await attempt(breaker, 'ok'), `after ${failures(n - 1)} in a row (failureThreshold = ${n})`);
});

test('opens after failureThreshold consecutive failures', async () => {
  useVirtualTime();
  const s = settingsFor('opens');
  const n = s.failureThreshold;
  const breaker = new CircuitBreaker(s);
  for (let i = 1; i <= n; i++) {
    expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${i} of ${n} while closed`);
  }
  const state = stateOf(breaker);
  if (state !== 'open') {
    // Say when it does open, if it does, to make an off-by-one obvious.
    let extra = 0;
    while (stateOf(breaker) === 'closed' && extra < n + 2) {
      await attempt(breaker, 'fail');
      extra++;
    }
    const later = stateOf(breaker) === 'open' ? `; it opened only after ${n + extra}` : '';
    fail(`after ${n} consecutive failures the state was ${quote(state)}; expected 'open' (failureThreshold = ${n})${later}`);
  }
  expectRefused(await attempt(breaker, 'ok'), 'right after the circuit opened', 'the circuit is open');
});

test('a success resets the count of consecutive failures', async () => {
  useVirtualTime();
  const s = settingsFor('reset');
  const n = s.failureThreshold;
  const breaker = new CircuitBreaker(s);
  for (let i = 1; i < n; i++) await attempt(breaker, 'fail');
  expectPassedThrough(await attempt(breaker, 'ok'), `after ${failures(n - 1)} (failureThreshold = ${n})`);
  for (let i = 1; i < n; i++) {
    const when = `after ${failures(n - 1)}, a success, then ${i - 1} more (failureThreshold = ${n})`;
    const a = await attempt(breaker, 'fail');
    if (a.opCalls === 0) {
      fail(`${when}, call() was refused (${a.describeResult()}); expected the call to go through: a success must reset the count of consecutive failures, so the circuit should still be closed`);
    }
    expectPassedThrough(a, when);
  }
  expectState(
    breaker,
    'closed',
    `after ${failures(n - 1)}, a success, then ${n - 1} more`,
    `failureThreshold = ${n}; a success must reset the count of consecutive failures to zero`,
  );
  expectPassedThrough(await attempt(breaker, 'fail'), `on the ${n}th failure since the success`);
  expectState(breaker, 'open', `after a success then ${n} consecutive failures`, `failureThreshold = ${n}`);
});

test("rethrows op's errors as they are (the same object), including the one that opens the circuit", async () => {
  useVirtualTime();
  const s = settingsFor('rethrow');
  const n = s.failureThreshold;
  const breaker = new CircuitBreaker(s);
  for (let i = 1; i < n; i++) expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${i} while closed`);
  expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${n}, the one that opens the circuit (failureThreshold = ${n})`);
  await advance(s.resetTimeoutMs + 1);
  expectPassedThrough(await attempt(breaker, 'fail'), 'on a half-open trial call whose op rejects');
});

class DownstreamError extends Error {
  override name = 'DownstreamError';
}

test("passes on op's errors of every kind as they are (an Error subclass, a string, a plain object, undefined), and counts each as a failure", async () => {
  const kinds: Array<[string, () => unknown]> = [
    ['an Error subclass', () => new DownstreamError('503 from prices')],
    ['a string', () => 'prices is down'],
    ['a plain object', () => ({ status: 503 })],
    ['undefined', () => undefined],
  ];
  for (const [kind, make] of kinds) {
    useVirtualTime();
    const s = settingsFor(`kinds ${kind}`);
    const breaker = new CircuitBreaker(s);
    const when = (i: number) => `when op rejects with ${kind} (failure ${i} of failureThreshold = ${s.failureThreshold})`;
    for (let i = 1; i <= s.failureThreshold; i++) {
      const a = new Attempt(breaker, 'fail', make());
      await flushMicrotasks();
      expectPassedThrough(a, when(i));
    }
    expectState(breaker, 'open', `after ${failures(s.failureThreshold)} in a row, each rejecting with ${kind}`, 'whatever op rejects with is a failure');
  }
});

test('while open, call() rejects with CircuitOpenError without calling op', async () => {
  useVirtualTime();
  const s = settingsFor('refuse');
  const breaker = await openedBreaker(s);
  const why = (ms: number) => `the circuit opened ${ms} ms ago and resetTimeoutMs = ${s.resetTimeoutMs}`;
  expectRefused(await attempt(breaker, 'ok'), 'right after the circuit opened', why(0));
  expectRefused(await attempt(breaker, 'fail'), 'right after the circuit opened, with an op that would reject', why(0));
  const half = Math.floor(s.resetTimeoutMs / 2);
  await advance(half);
  expectRefused(await attempt(breaker, 'ok'), `${half} ms after the circuit opened`, why(half));
});

test('stays open until resetTimeoutMs has passed since it opened', async () => {
  useVirtualTime();
  const s = settingsFor('stays-open');
  const breaker = await openedBreaker(s);
  await advance(s.resetTimeoutMs - 1);
  const when = `${s.resetTimeoutMs - 1} ms after the circuit opened (resetTimeoutMs = ${s.resetTimeoutMs})`;
  expectState(breaker, 'open', when);
  expectRefused(await attempt(breaker, 'ok'), when, 'resetTimeoutMs has not passed yet');
  expectState(breaker, 'open', `${when}, after a refused call`);
});

test("reads 'half-open' at exactly resetTimeoutMs after it opened, and lets the trial through then", async () => {
  useVirtualTime();
  const s = settingsFor('exactly');
  const breaker = await openedBreaker(s);
  await advance(s.resetTimeoutMs);
  const when = `exactly resetTimeoutMs = ${s.resetTimeoutMs} ms after the circuit opened`;
  expectState(breaker, 'half-open', when, 'the circuit is open for resetTimeoutMs, and not one millisecond more');
  expectPassedThrough(await attempt(breaker, 'ok'), `${when}, the trial call`);
  expectState(breaker, 'closed', `${when}, after a successful trial`);
});

test("reads 'half-open' once resetTimeoutMs has passed, even with no call", async () => {
  useVirtualTime();
  const s = settingsFor('expires');
  const breaker = await openedBreaker(s);
  const start = virtualNow();
  await advance(s.resetTimeoutMs + 1);
  const actual = stateOf(breaker);
  check(
    actual === 'half-open',
    () => `${virtualNow() - start} ms after the circuit opened (resetTimeoutMs = ${s.resetTimeoutMs}), with no call made ` +
      `since, state read ${quote(actual)}; expected 'half-open': the open state must expire by itself ` +
      '(compute it from the clock in the getter, or flip it with a timer)',
  );
  await advance(10 * s.resetTimeoutMs);
  expectState(breaker, 'half-open', `${11 * s.resetTimeoutMs + 1} ms after the circuit opened, with no call made`);
});

test('half-open: a successful trial call goes through and closes the circuit', async () => {
  useVirtualTime();
  const s = settingsFor('trial-ok');
  const breaker = await halfOpenBreaker(s);
  expectPassedThrough(await attempt(breaker, 'ok'), 'on the half-open trial call');
  expectState(breaker, 'closed', 'after a successful half-open trial call');
  expectPassedThrough(await attempt(breaker, 'ok'), 'after the trial closed the circuit');
  expectPassedThrough(await attempt(breaker, 'fail'), 'after the trial closed the circuit');
});

test('half-open: only one trial call goes through; calls made while it is in flight reject with CircuitOpenError', async () => {
  useVirtualTime();
  const s = settingsFor('one-trial');
  for (const trialSucceeds of [true, false]) {
    const breaker = await halfOpenBreaker(s);
    const trial = new Attempt(breaker, 'hold');
    await flushMicrotasks();
    check(trial.opCalls === 1, () => `on the half-open trial call, call() called op ${trial.opCalls} times; expected exactly once`);
    for (let i = 1; i <= 2; i++) {
      const other = await attempt(breaker, 'ok');
      expectRefused(other, `while the half-open trial call was still in flight, call number ${i} after it`, 'only one trial call goes through');
    }
    await trial.finish(trialSucceeds);
    const outcome = trialSucceeds ? 'succeeded' : 'failed';
    check(trial.result.kind !== 'pending', () => `the trial call's op ${outcome} but ${trial.describeResult()}`);
    if (trialSucceeds) {
      expectPassedThrough(trial, 'on the half-open trial call');
      expectState(breaker, 'closed', 'after the in-flight trial call succeeded');
    } else {
      check(
        trial.result.kind === 'error' && trial.result.reason === trial.error,
        () => `the trial call's op rejected and ${trial.describeResult()}; expected it to reject with op's own error, the same object`,
      );
      expectState(breaker, 'open', 'after the in-flight trial call failed');
    }
  }
});

test('after a successful trial, the failure count starts from zero', async () => {
  useVirtualTime();
  const s = settingsFor('trial-reset');
  const n = s.failureThreshold;
  const breaker = await halfOpenBreaker(s);
  expectPassedThrough(await attempt(breaker, 'ok'), 'on the half-open trial call');
  expectState(breaker, 'closed', 'after a successful half-open trial call');
  for (let i = 1; i < n; i++) {
    const a = await attempt(breaker, 'fail');
    expectPassedThrough(a, `on failure ${i} after the trial closed the circuit`);
    const actual = stateOf(breaker);
    check(
      actual === 'closed',
      () => `after the trial call closed the circuit, ${failures(i)} made the state ${quote(actual)}; expected 'closed' until ` +
        `${n} consecutive failures (failureThreshold = ${n}): closing must reset the failure count to zero`,
    );
  }
  expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${n} after the trial closed the circuit`);
  expectState(breaker, 'open', `after the trial closed the circuit and ${n} consecutive failures followed`, `failureThreshold = ${n}`);
});

test('a call that settles after the circuit opened changes nothing: only the trial closes it, and the open clock is not restarted', async () => {
  for (const late of ['succeeds', 'fails'] as const) {
    useVirtualTime();
    const s = settingsFor(`late ${late}`);
    const breaker = new CircuitBreaker(s);
    const slow = new Attempt(breaker, 'hold');
    await flushMicrotasks();
    for (let i = 1; i <= s.failureThreshold; i++) expectPassedThrough(await attempt(breaker, 'fail'), `on failure ${i} while a slow call is in flight`);
    expectState(breaker, 'open', `after ${failures(s.failureThreshold)} in a row, while a slow call let through earlier is still in flight`);
    await advance(Math.floor(s.resetTimeoutMs / 2));
    await slow.finish(late === 'succeeds');
    expectPassedThrough(slow, `the slow call, let through while closed, ${late === 'succeeds' ? 'succeeding' : 'failing'} after the circuit opened`);
    const when = `after a call let through while the circuit was closed ${late === 'succeeds' ? 'succeeded' : 'failed'} late, ${Math.floor(s.resetTimeoutMs / 2)} ms after the circuit opened`;
    expectState(breaker, 'open', when, late === 'succeeds' ? 'a late success is not the trial: only the trial closes the circuit' : 'the circuit was already open: a late failure changes nothing');
    expectRefused(await attempt(breaker, 'ok'), when, 'the circuit is still open');
    await advance(s.resetTimeoutMs - Math.floor(s.resetTimeoutMs / 2));
    expectState(breaker, 'half-open', `${when}, and resetTimeoutMs = ${s.resetTimeoutMs} ms after the circuit opened`, 'the open clock counts from when the circuit opened; a late failure does not restart it');
  }
});

test('a failed trial opens the circuit again for another resetTimeoutMs', async () => {
  useVirtualTime();
  const s = settingsFor('trial-fail');
  const r = s.resetTimeoutMs;
  const breaker = await halfOpenBreaker(s);
  expectPassedThrough(await attempt(breaker, 'fail'), 'on a half-open trial call whose op rejects');
  const why = `a failed trial opens the circuit again for another resetTimeoutMs (${r} ms), counted from the failure`;
  expectState(breaker, 'open', 'right after the half-open trial call failed', why);
  expectRefused(await attempt(breaker, 'ok'), 'right after the half-open trial call failed', why);
  await advance(r - 1);
  expectState(breaker, 'open', `${r - 1} ms after the trial call failed`, why);
  expectRefused(await attempt(breaker, 'ok'), `${r - 1} ms after the trial call failed`, why);
  await advance(2);
  expectState(breaker, 'half-open', `${r + 1} ms after the trial call failed`, `resetTimeoutMs = ${r}`);
  expectPassedThrough(await attempt(breaker, 'ok'), 'on the next trial call');
  expectState(breaker, 'closed', 'after the next trial call succeeded');
});

// ---- Model-based property: random sequences against a small model of the state machine. ----

type Step =
  | { kind: 'ok' }
  | { kind: 'fail' }
  | { kind: 'wait'; ms: number }
  /** A call whose op stays pending while `probes` other calls are made; only half-open makes it a trial. */
  | { kind: 'held'; ok: boolean; probes: number };

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'ok': return 'a call that succeeds';
    case 'fail': return 'a call that fails';
    case 'wait': return `wait ${step.ms} ms`;
    case 'held': return `a slow call that ${step.ok ? 'succeeds' : 'fails'}, with ${step.probes} call(s) made while it is in flight`;
  }
}

class Model {
  failures = 0;
  openedAt: number | null = null;
  constructor(readonly s: Settings) {}

  state(now: number): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === null) return 'closed';
    return now - this.openedAt >= this.s.resetTimeoutMs ? 'half-open' : 'open';
  }

  /** Records a call that went through; the model decided it would. */
  completed(ok: boolean, now: number, wasHalfOpen: boolean): void {
    if (wasHalfOpen) {
      if (ok) { this.openedAt = null; this.failures = 0; } else this.openedAt = now;
      return;
    }
    if (ok) this.failures = 0;
    else if (++this.failures >= this.s.failureThreshold) this.openedAt = now;
  }
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Step>({ kind: 'fail' }) },
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'ok' }) },
  // Waits are multiples of 10 ms and resetTimeoutMs ends in 5, so no check falls exactly on the boundary.
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 60 }).map<Step>((t) => ({ kind: 'wait', ms: 10 * t })) },
  { weight: 2, arbitrary: fc.record({ ok: fc.boolean(), probes: fc.integer({ min: 1, max: 2 }) }).map<Step>((r) => ({ kind: 'held', ...r })) },
);

const settingsArb: fc.Arbitrary<Settings> = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 4 }),
  resetTimeoutMs: fc.integer({ min: 1, max: 30 }).map((t) => 10 * t + 5),
});

async function runScenario(s: Settings, steps: Step[]): Promise<void> {
  const breaker = new CircuitBreaker(s);
  const model = new Model(s);
  const start = virtualNow();
  const now = () => virtualNow() - start;
  for (const [index, step] of steps.entries()) {
    const where = `at step ${index + 1} (${describeStep(step)}, ${now()} ms in)`;
    const before = model.state(now());
    const why = `the circuit was ${before}`;
    if (step.kind === 'wait') {
      await advance(step.ms);
    } else if (step.kind === 'held' && before === 'half-open') {
      const trial = new Attempt(breaker, 'hold');
      await flushMicrotasks();
      check(trial.opCalls === 1, () => `${where}, the half-open trial call called op ${trial.opCalls} times; expected exactly once`);
      for (let i = 1; i <= step.probes; i++) {
        expectRefused(await attempt(breaker, 'ok'), `${where}, a call made while the trial was in flight`, 'only one trial call goes through');
      }
      await trial.finish(step.ok);
      expectPassedThrough(trial, `${where}, on the trial call`);
      model.completed(step.ok, now(), true);
    } else {
      const ok = step.kind === 'ok' || (step.kind === 'held' && step.ok);
      const a = await attempt(breaker, ok ? 'ok' : 'fail');
      if (before === 'open') {
        expectRefused(a, where, why);
      } else {
        expectPassedThrough(a, `${where}, when ${why}`);
        model.completed(ok, now(), before === 'half-open');
      }
    }
    const expected = model.state(now());
    const actual = stateOf(breaker);
    check(actual === expected, () => `${where}, state read ${quote(actual)} afterwards; expected '${expected}'`);
  }
}

test('follows the circuit-breaker state machine over random sequences of calls and waits', async () => {
  useVirtualTime();
  await holds(
    fc.asyncProperty(settingsArb, fc.array(stepArb, { minLength: 1, maxLength: 25 }), (s, steps) => runScenario(s, steps)),
    {
      numRuns: 100,
      describe: ([s, steps]) => `${describeSettings(s)}; steps: ${steps.map(describeStep).join('; ')}`,
    },
  );
});
