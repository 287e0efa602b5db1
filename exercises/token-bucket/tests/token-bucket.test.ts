import fc from 'fast-check';
import { test, vi } from 'vitest';
import { advance, check, describeThrown, fail, holds, useVirtualTime, show } from 'learn-ds/harness';
import { TokenBucket } from 'learn-ds/subject/token-bucket';

/** Refill arithmetic in floating point differs a little between correct implementations. */
const TOLERANCE = 1e-6;

function near(actual: unknown, expected: number): boolean {
  return typeof actual === 'number' && Math.abs(actual - expected) <= TOLERANCE;
}

type Bucket = InstanceType<typeof TokenBucket>;

function bucket(capacity: number, refillPerSecond: number): Bucket {
  return new TokenBucket({ capacity, refillPerSecond });
}

const label = (capacity: number, refillPerSecond: number) => `(capacity ${capacity}, refillPerSecond ${refillPerSecond})`;

/** Empties a new, full bucket with one tryRemove(capacity). */
function drain(b: Bucket, capacity: number, refillPerSecond: number): void {
  const taken = b.tryRemove(capacity);
  check(
    taken === true,
    () => `tryRemove(${capacity}) on a new bucket ${label(capacity, refillPerSecond)} returned ${show(taken)}; expected true: a new bucket starts full`,
  );
  const left = b.available();
  check(
    near(left, 0),
    () => `after tryRemove(${capacity}) emptied a new bucket ${label(capacity, refillPerSecond)}, available() returned ${show(left)}; expected 0`,
  );
}

/** Moves only the wall clock (Date.now()) back; performance.now() stays monotonic, as in real life. */
function stepWallClockBack(ms: number): void {
  vi.setSystemTime(Date.now() - ms);
}

function expectRangeError(run: () => unknown, what: string): void {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof RangeError || (error instanceof Error && error.name === 'RangeError')) return;
    fail(`${what} threw ${describeThrown(error)}; expected a RangeError`);
  }
  fail(`${what} returned ${result instanceof TokenBucket ? 'a bucket' : show(result)} without throwing; expected a RangeError`);
}

test('starts full: a new bucket holds capacity tokens', () => {
  useVirtualTime();
  const b = bucket(7, 1);
  const a = b.available();
  check(near(a, 7), `a new bucket ${label(7, 1)} reported available() = ${show(a)}; expected 7: a new bucket starts full`);
  const taken = b.tryRemove(7);
  check(taken === true, `tryRemove(7) on a new bucket ${label(7, 1)} returned ${show(taken)}; expected true: a new bucket starts full`);
});

test('tryRemove() with no argument takes the default of 1 token', () => {
  useVirtualTime();
  const b = bucket(5, 0);
  for (let call = 1; call <= 5; call++) {
    const before = b.available();
    const taken = b.tryRemove();
    const after = b.available();
    check(
      taken === true && near(after, 5 - call),
      () =>
        `call ${call} of tryRemove() (no argument) on a bucket ${label(5, 0)} holding ${show(before)} tokens returned ` +
        `${show(taken)} and left available() = ${show(after)}; expected true and ${5 - call}: the default is 1 token`,
    );
  }
  const taken = b.tryRemove();
  check(
    taken === false,
    `a 6th tryRemove() on a bucket ${label(5, 0)} returned ${show(taken)}; expected false: five calls took the 5 tokens, 1 each (the default is 1 token)`,
  );
});

test('tryRemove(n) takes n tokens and returns true when at least n are available', () => {
  useVirtualTime();
  const b = bucket(10, 0);
  const steps: Array<[n: number, left: number]> = [[3, 7], [7, 0]];
  let have = 10;
  for (const [n, left] of steps) {
    const taken = b.tryRemove(n);
    const after = b.available();
    check(
      taken === true,
      () => `tryRemove(${n}) with ${have} tokens available returned ${show(taken)}; expected true` + (n === have ? ' (exactly n available is enough)' : ''),
    );
    check(near(after, left), () => `tryRemove(${n}) with ${have} tokens available left available() = ${show(after)}; expected ${left}`);
    have = left;
  }
});

test('tryRemove(n) takes nothing and returns false when fewer than n are available', () => {
  useVirtualTime();
  const b = bucket(10, 0);
  const first = b.tryRemove(4);
  check(first === true, `tryRemove(4) on a full bucket ${label(10, 0)} returned ${show(first)}; expected true`);
  for (const n of [7, 11, 1e9]) {
    const taken = b.tryRemove(n);
    const after = b.available();
    check(
      taken === false && near(after, 6),
      () =>
        `tryRemove(${n}) with 6 tokens available returned ${show(taken)} and left available() = ${show(after)}; ` +
        'expected false and 6: when there are not enough tokens, tryRemove takes nothing',
    );
  }
  const rest = b.tryRemove(6);
  check(rest === true, `tryRemove(6) with 6 tokens available returned ${show(rest)}; expected true`);
  const taken = b.tryRemove(1);
  const after = b.available();
  check(
    taken === false && near(after, 0),
    () => `tryRemove(1) on an empty bucket returned ${show(taken)} and left available() = ${show(after)}; expected false and 0: a refused tryRemove takes nothing`,
  );
});

test('refills refillPerSecond tokens per second of elapsed time', async () => {
  useVirtualTime();
  const b = bucket(10, 1.5);
  drain(b, 10, 1.5);
  for (const [elapsed, expected] of [[2000, 3], [4000, 6]] as const) {
    await advance(2000);
    const a = b.available();
    check(
      near(a, expected),
      () =>
        `${elapsed} ms after emptying a bucket ${label(10, 1.5)}, available() returned ${show(a)}; ` +
        `expected ${expected} (1.5 tokens per second × ${elapsed / 1000} s)`,
    );
  }
});

test('refills continuously: a fraction of a second adds that fraction of refillPerSecond', async () => {
  useVirtualTime();
  const b = bucket(10, 4);
  drain(b, 10, 4);
  await advance(250);
  let a = b.available();
  check(near(a, 1), `250 ms after emptying a bucket ${label(10, 4)}, available() returned ${show(a)}; expected 1 (4 tokens per second × 0.25 s): refill is continuous, fractions of a second count`);
  await advance(100);
  a = b.available();
  check(near(a, 1.4), `350 ms after emptying a bucket ${label(10, 4)}, available() returned ${show(a)}; expected 1.4 (4 × 0.35 s): refill is continuous, fractional tokens included`);
  const taken = b.tryRemove(1);
  check(taken === true, `tryRemove(1) with 1.4 tokens available returned ${show(taken)}; expected true`);
  await advance(50);
  a = b.available();
  check(near(a, 0.6), `after tryRemove(1) at 1.4 tokens and 50 ms more, available() returned ${show(a)}; expected 0.6 (0.4 left + 4 × 0.05 s)`);
});

test('a fractional request is granted when exactly that many tokens are there (0.5 after 250 ms at 2 per second; capacity 2.5)', async () => {
  useVirtualTime();
  const b = bucket(3, 2);
  drain(b, 3, 2);
  await advance(250);
  const half = b.tryRemove(0.5);
  check(half === true, `250 ms after emptying a bucket ${label(3, 2)} (so exactly 0.5 tokens), tryRemove(0.5) returned ${show(half)}; expected true: at least n tokens, n = 0.5, are available`);
  let a = b.available();
  check(near(a, 0), `after tryRemove(0.5) took the 0.5 tokens there were, available() returned ${show(a)}; expected 0`);
  await advance(125);
  const quarter = b.tryRemove(0.25);
  check(quarter === true, `125 ms later (exactly 0.25 tokens), tryRemove(0.25) returned ${show(quarter)}; expected true`);

  const odd = bucket(2.5, 0);
  const two = odd.tryRemove(2);
  const rest = odd.tryRemove(0.5);
  a = odd.available();
  check(
    two === true && rest === true && near(a, 0),
    () => `a new bucket ${label(2.5, 0)}: tryRemove(2) returned ${show(two)}, then tryRemove(0.5) returned ${show(rest)}, leaving available() = ${show(a)}; ` +
      'expected true, true and 0: a capacity may be fractional, and the bucket starts with all of it',
  );
});

test('frequent calls lose no refill: looking every 100 ms for 1 s adds as much as one look after 1 s', async () => {
  useVirtualTime();
  const b = bucket(10, 2);
  drain(b, 10, 2);
  const seen: string[] = [];
  for (let i = 1; i <= 10; i++) {
    await advance(100);
    if (i % 2 === 0) seen.push(`${i * 100} ms: tryRemove(5) → ${show(b.tryRemove(5))}`);
    else seen.push(`${i * 100} ms: available() → ${show(b.available())}`);
  }
  const a = b.available();
  check(
    near(a, 2),
    `1 s after emptying a bucket ${label(10, 2)}, with a call every 100 ms, available() returned ${show(a)}; ` +
      'expected 2: frequent calls must not lose the fractional refill of each short interval',
    seen.join('\n'),
  );
  for (let i = 1; i <= 20; i++) {
    await advance(50);
    b.available();
  }
  const later = b.available();
  check(
    near(later, 4),
    `after 1 s more with a call every 50 ms, available() returned ${show(later)}; expected 4 (2 + 2 tokens per second × 1 s): frequent calls must not lose refill`,
  );
});

test('never refills above capacity', async () => {
  useVirtualTime();
  const b = bucket(5, 10);
  await advance(10_000);
  let a = b.available();
  check(near(a, 5), `a full bucket ${label(5, 10)} left alone for 10 s reported available() = ${show(a)}; expected 5: it never refills above capacity`);
  const two = b.tryRemove(2);
  check(two === true, `tryRemove(2) on a full bucket ${label(5, 10)} returned ${show(two)}; expected true`);
  await advance(10_000);
  a = b.available();
  check(near(a, 5), `10 s after tryRemove(2) on a full bucket ${label(5, 10)}, available() returned ${show(a)}; expected 5: it never refills above capacity`);
  const six = b.tryRemove(6);
  check(six === false, `tryRemove(6) on a full bucket ${label(5, 10)} returned ${show(six)}; expected false: it never holds more than capacity, so never refills above capacity`);
});

test('refillPerSecond = 0 is allowed: the bucket never refills', async () => {
  useVirtualTime();
  const b = bucket(3, 0);
  drain(b, 3, 0);
  await advance(3_600_000);
  const a = b.available();
  check(near(a, 0), `an emptied bucket ${label(3, 0)} reported available() = ${show(a)} an hour later; expected 0: with refillPerSecond = 0 it never refills`);
  const taken = b.tryRemove();
  check(taken === false, `tryRemove() on an emptied bucket ${label(3, 0)} returned ${show(taken)} an hour later; expected false`);
});

test('the constructor throws a RangeError for a capacity that is not positive and finite', () => {
  useVirtualTime();
  for (const capacity of [0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expectRangeError(() => bucket(capacity, 1), `new TokenBucket({ capacity: ${capacity}, refillPerSecond: 1 })`);
  }
});

test('the constructor throws a RangeError for a refillPerSecond that is negative or not finite', () => {
  useVirtualTime();
  for (const refillPerSecond of [-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    expectRangeError(() => bucket(10, refillPerSecond), `new TokenBucket({ capacity: 10, refillPerSecond: ${refillPerSecond} })`);
  }
});

test('tryRemove throws a RangeError for zero or negative tokens, and takes nothing', () => {
  useVirtualTime();
  const b = bucket(10, 1);
  const full = b.available();
  check(near(full, 10), `a new bucket ${label(10, 1)} reported available() = ${show(full)}; expected 10: a new bucket starts full`);
  for (const n of [0, -1, -0.5]) {
    expectRangeError(() => b.tryRemove(n), `tryRemove(${n})`);
    const a = b.available();
    check(near(a, 10), `after tryRemove(${n}) threw on a full bucket ${label(10, 1)}, available() returned ${show(a)}; expected 10: it takes nothing`);
  }
});

test('a wall clock stepped backwards creates no tokens', async () => {
  useVirtualTime();
  const b = bucket(10, 2);
  drain(b, 10, 2);
  await advance(1000);
  const two = b.tryRemove(2);
  let a = b.available();
  check(
    two === true && near(a, 0),
    `1 s after emptying a bucket ${label(10, 2)}, tryRemove(2) returned ${show(two)} and left available() = ${show(a)}; ` +
      'expected true and 0 (2 tokens per second × 1 s were refilled, then taken)',
  );
  stepWallClockBack(60_000);
  a = b.available();
  check(
    near(a, 0),
    `an empty bucket ${label(10, 2)} reported available() = ${show(a)} right after the wall clock (Date.now()) stepped back 60 s; ` +
      'expected 0: a clock that steps backwards creates no tokens' +
      (typeof a === 'number' && a > 0 ? ' (the elapsed time was negative, not 60 s)' : ' and destroys none'),
  );
  await advance(500);
  a = b.available();
  check(
    typeof a === 'number' && a >= -TOLERANCE && a <= 1 + TOLERANCE,
    `after the wall clock stepped back 60 s and then 500 ms really passed, an empty bucket ${label(10, 2)} reported available() = ${show(a)}; ` +
      'expected between 0 and 1 (at most 2 tokens per second × 0.5 s): a clock that steps backwards creates no tokens, ' +
      'and only time that really passed refills',
  );
});

test('a wall clock stepped backwards destroys no tokens', async () => {
  useVirtualTime();
  const b = bucket(10, 2);
  const four = b.tryRemove(4);
  check(four === true, `tryRemove(4) on a full bucket ${label(10, 2)} returned ${show(four)}; expected true`);
  stepWallClockBack(60_000);
  let a = b.available();
  check(
    near(a, 6),
    `a bucket ${label(10, 2)} holding 6 tokens reported available() = ${show(a)} right after the wall clock (Date.now()) stepped back 60 s; ` +
      (typeof a === 'number' && a > 6
        ? 'expected 6: a clock that steps backwards creates no tokens (the elapsed time was negative, not 60 s)'
        : 'expected 6: a clock that steps backwards destroys no tokens (and never makes the count negative)'),
  );
  await advance(1000);
  a = b.available();
  check(
    typeof a === 'number' && a >= 6 - TOLERANCE && a <= 8 + TOLERANCE,
    `after the wall clock stepped back 60 s and then 1 s really passed, a bucket ${label(10, 2)} that held 6 tokens reported available() = ${show(a)}; ` +
      'expected between 6 and 8 (at most 2 tokens per second × 1 s more): ' +
      (typeof a === 'number' && a > 8 ? 'only time that really passed refills' : 'a clock that steps backwards destroys no tokens'),
  );
});

interface Step {
  waitMs: number;
  look: boolean;
  remove: number;
}
interface Scenario {
  capacity: number;
  refillPerSecond: number;
  steps: Step[];
}

const scenarios: fc.Arbitrary<Scenario> = fc
  .record({
    capacity: fc.integer({ min: 1, max: 20 }),
    refillPerSecond: fc.oneof(fc.constantFrom(0, 0.5, 1, 2.5, 10, 1000), fc.integer({ min: 0, max: 50 })),
  })
  .chain(({ capacity, refillPerSecond }) =>
    fc.record({
      capacity: fc.constant(capacity),
      refillPerSecond: fc.constant(refillPerSecond),
      steps: fc.array(
        fc.record({
          waitMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 5000 })),
          look: fc.boolean(),
          remove: fc.integer({ min: 1, max: capacity + 2 }),
        }),
        { minLength: 1, maxLength: 25 },
      ),
    }),
  );

function describeScenario(s: Scenario): string {
  const steps = s.steps.map((st) => `wait ${st.waitMs} ms,${st.look ? ' available(),' : ''} tryRemove(${st.remove})`);
  return `a new bucket ${label(s.capacity, s.refillPerSecond)}, then: ${steps.join('; ')}`;
}

/** check(), with its detail too built only when the check fails. */
function checkLazily(condition: boolean, message: () => string, detail: () => string): void {
  if (!condition) fail(message(), detail());
}

test('matches a simple token-bucket model over random waits and removals, staying within [0, capacity]', async () => {
  useVirtualTime();
  await holds(
    fc.property(scenarios, ({ capacity, refillPerSecond, steps }) => {
      const b = bucket(capacity, refillPerSecond);
      let model = capacity;
      // What happened, each line written out only for a failure's message (formatting every step,
      // and the whole story at every check, cost more than the steps).
      const log: Array<() => string> = [];
      const detail = () => `what happened:\n${log.map((line) => line()).join('\n')}`;
      const observe = (where: () => string) => {
        const a = b.available();
        const expected = model;
        log.push(() => `  ${where()}: available() → ${show(a)} (expected ${show(expected)})`);
        checkLazily(
          typeof a === 'number' && a >= -TOLERANCE && a <= capacity + TOLERANCE,
          () => `${where()}, available() returned ${show(a)}; it must stay within [0, capacity] = [0, ${capacity}]`,
          detail,
        );
        checkLazily(near(a, model), () => `${where()}, available() returned ${show(a)}; expected ${show(expected)}`, detail);
      };
      for (const [i, { waitMs, look, remove }] of steps.entries()) {
        vi.advanceTimersByTime(waitMs);
        model = Math.min(capacity, model + (waitMs / 1000) * refillPerSecond);
        const where = () => `at step ${i + 1} (after waiting ${waitMs} ms)`;
        if (look) observe(where);
        const taken = b.tryRemove(remove);
        const mustTake = model >= remove + TOLERANCE;
        const mustRefuse = model < remove - TOLERANCE;
        const wanted = mustTake ? 'true' : mustRefuse ? 'false' : 'true or false';
        const before = model;
        log.push(() => `  ${where()}: tryRemove(${remove}) → ${show(taken)} (expected ${wanted}: ${show(before)} available)`);
        checkLazily(
          typeof taken === 'boolean' && !(mustTake && !taken) && !(mustRefuse && taken),
          () => `${where()}, tryRemove(${remove}) returned ${show(taken)} with ${show(before)} tokens available; expected ${wanted}`,
          detail,
        );
        // Within the tolerance either answer is right; follow the learner's.
        if (taken) model = Math.max(0, model - remove);
        observe(() => `at step ${i + 1}, after tryRemove(${remove}) → ${show(taken)}`);
      }
    }),
    { describe: ([s]) => describeScenario(s) },
  );
});
