import fc from 'fast-check';
import { test, vi } from 'vitest';
import { advance, check, describeThrown, fail, holds, useVirtualTime, virtualNow, show } from 'learn-ds/harness';
import { SlidingWindowLimiter } from 'learn-ds/subject/sliding-window-limiter';

type Limiter = InstanceType<typeof SlidingWindowLimiter>;

const requests = (n: number) => (n === 1 ? '1 request' : `${n} requests`);
const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;

/**
 * A limiter created now, with the time since its creation: every window in the checks is
 * counted from that moment, as the statement says.
 */
class Subject {
  readonly limiter: Limiter;
  private readonly createdAt: number;

  constructor(readonly limit: number, readonly windowMs: number) {
    try {
      this.limiter = new SlidingWindowLimiter({ limit, windowMs });
    } catch (error) {
      fail(`new SlidingWindowLimiter({ limit: ${limit}, windowMs: ${windowMs} }) threw ${describeThrown(error)}; expected a limiter`);
    }
    this.createdAt = virtualNow();
  }

  get label(): string {
    return `a limiter with limit ${this.limit}, windowMs ${this.windowMs}`;
  }

  /** Milliseconds since the limiter was created. */
  get t(): number {
    return virtualNow() - this.createdAt;
  }

  /** Where `t` lies: "t = 1250 ms (25% into window 1)". */
  get when(): string {
    const w = Math.floor(this.t / this.windowMs);
    const into = this.t - w * this.windowMs;
    return `t = ${this.t} ms (${into === 0 ? 'the very start of' : `${pct(into / this.windowMs)} into`} window ${w})`;
  }

  /** Moves the clock to `t` ms after the limiter's creation. */
  async moveTo(t: number): Promise<void> {
    await advance(t - this.t);
  }

  acquire(key: string): boolean {
    let result: unknown;
    try {
      result = this.limiter.tryAcquire(key);
    } catch (error) {
      fail(`at ${this.when}, tryAcquire(${show(key)}) on ${this.label} threw ${describeThrown(error)}; expected true or false`);
    }
    check(
      typeof result === 'boolean',
      () => `at ${this.when}, tryAcquire(${show(key)}) on ${this.label} returned ${show(result)}; expected true or false`,
    );
    return result;
  }

  /** `n` requests of `key` in a row, at the current time. */
  burst(key: string, n: number): boolean[] {
    return Array.from({ length: n }, () => this.acquire(key));
  }

  tracked(): number {
    let result: unknown;
    try {
      result = this.limiter.trackedKeys();
    } catch (error) {
      fail(`at ${this.when}, trackedKeys() on ${this.label} threw ${describeThrown(error)}; expected a number`);
    }
    check(
      typeof result === 'number' && Number.isInteger(result),
      () => `at ${this.when}, trackedKeys() returned ${show(result)}; expected a whole number of keys`,
    );
    return result;
  }

  /**
   * Makes `tries` requests of `key` now and checks that exactly the first `passes` are accepted.
   * `why` explains the expected number; `diagnose` may name the mistake the actual number suggests.
   */
  expectPasses(key: string, tries: number, passes: number, why: string, diagnose?: (got: number) => string | undefined): void {
    const when = this.when;
    const results = this.burst(key, tries);
    const got = results.filter(Boolean).length;
    const inOrder = results.every((r, i) => r === i < got);
    const pattern = results.map(String).join(', ');
    if (got === passes && inOrder) return;
    if (!inOrder) {
      fail(
        `at ${when}, ${tries} requests of key ${show(key)} in a row on ${this.label} returned ${pattern}; ` +
          `expected true for the first ${passes} and false after: once a request is refused, nothing changes until time passes`,
      );
    }
    const extra = diagnose?.(got);
    const what =
      tries === 1
        ? `a request of key ${show(key)} on ${this.label} returned ${results[0]}; expected ${passes === 1}`
        : `${got} of ${tries} requests of key ${show(key)} in a row passed (${pattern}) on ${this.label}; expected exactly ${passes}`;
    fail(`at ${when}, ${what}: ${why}${extra ? `. ${extra}` : ''}`);
  }
}

/** How many requests in a row pass when the estimate starts at `estimate`: while estimate + 1 ≤ limit. */
function passesFrom(estimate: number, limit: number): number {
  let n = 0;
  while (estimate + n + 1 <= limit) n++;
  return n;
}

/**
 * Names the classic mistake that would let exactly `got` requests through, when a key had
 * `previous` and `current` accepted requests and a fraction `f` of the window has elapsed.
 * Only used where the key's history is clean, so another mistake cannot make it misfire.
 */
function diagnose(previous: number, current: number, f: number, limit: number) {
  return (got: number): string | undefined => {
    const expected = passesFrom(previous * (1 - f) + current, limit);
    if (got === expected) return undefined;
    if (previous > 0 && got === passesFrom(current, limit)) {
      return 'Your limiter behaves as if the previous window did not count at all (a fixed window): its count must weigh previous × (1 − f)';
    }
    if (previous > 0 && f > 0 && got === passesFrom(previous * f + current, limit)) {
      return `Your limiter behaves as if the previous count were weighted by the elapsed fraction f = ${f} instead of the remaining 1 − f = ${1 - f}`;
    }
    if (got === expected + 1) {
      return 'Your limiter let one request too many through: a request passes only if estimate + 1 ≤ limit (comparing the estimate itself with the limit lets one more through)';
    }
    return undefined;
  };
}

function expectRangeError(run: () => unknown, what: string): void {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof RangeError || (error instanceof Error && error.name === 'RangeError')) return;
    fail(`${what} threw ${describeThrown(error)}; expected a RangeError`);
  }
  fail(`${what} returned ${result instanceof SlidingWindowLimiter ? 'a limiter' : show(result)} without throwing; expected a RangeError`);
}

test('in a fresh window, the first limit requests of a key pass and the next one is refused', async () => {
  useVirtualTime();
  const why = (limit: number) =>
    `in a fresh window the estimate is just the number accepted so far, and a request passes only if estimate + 1 ≤ limit (${limit - 1} + 1 ≤ ${limit}, but ${limit} + 1 > ${limit})`;
  const five = new Subject(5, 1000);
  five.expectPasses('client', 8, 5, why(5));
  const one = new Subject(1, 1000);
  await one.moveTo(400);
  one.expectPasses('client', 3, 1, why(1));
  const ten = new Subject(10, 60_000);
  await ten.moveTo(59_999);
  ten.expectPasses('client', 12, 10, why(10));
});

test('refused requests are not counted', async () => {
  useVirtualTime();
  const s = new Subject(3, 1000);
  s.expectPasses('client', 23, 3, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  await s.moveTo(1500);
  s.expectPasses(
    'client',
    4,
    1,
    'window 0 holds the 3 accepted requests only (refused requests are not counted, however many there were), ' +
      'so the estimate is 3 × (1 − 0.5) + 0 = 1.5: one request passes (2.5 ≤ 3), the next one would make 3.5',
    diagnose(3, 0, 0.5, 3),
  );
  await s.moveTo(1750);
  s.expectPasses(
    'client',
    4,
    1,
    'window 1 holds 1 accepted request (refused requests are not counted), so the estimate is 3 × (1 − 0.75) + 1 = 1.75: ' +
      'one request passes (2.75 ≤ 3), the next one would make 3.75',
  );
});

test("at the very start of the next window, the previous window's count weighs fully", async () => {
  useVirtualTime();
  const s = new Subject(10, 1000);
  s.expectPasses('client', 10, 10, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  await s.moveTo(1000);
  s.expectPasses(
    'client',
    3,
    0,
    'the 10 requests accepted in window 0 still weigh fully when window 1 has just begun ' +
      '(estimate = 10 × (1 − 0) + 0 = 10, and 10 + 1 > limit 10)',
    (got) => (got === 3 ? 'Your limiter let them all through, as if the previous window did not count (or weighed nothing at the start of a window)' : undefined),
  );
});

test("then the previous window's count decays linearly, by the fraction of the current window that has elapsed", async () => {
  useVirtualTime();
  const s = new Subject(10, 1000);
  s.expectPasses('client', 10, 10, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  await s.moveTo(1250);
  s.expectPasses(
    'client',
    12,
    2,
    '25% into window 1 the estimate is 10 × (1 − 0.25) + 0 = 7.5; a request passes only if estimate + 1 ≤ limit: ' +
      '7.5 + 1 = 8.5 passes, 8.5 + 1 = 9.5 passes, 9.5 + 1 = 10.5 is over 10',
    diagnose(10, 0, 0.25, 10),
  );
  await s.moveTo(1750);
  s.expectPasses(
    'client',
    12,
    5,
    '75% into window 1 the estimate is 10 × (1 − 0.75) + 2 = 4.5, so 5 requests pass (up to 9.5 + 1 = 10.5, which is over 10)',
  );
});

test('after a whole window without requests, the older history no longer counts', async () => {
  useVirtualTime();
  const s = new Subject(10, 1000);
  s.expectPasses('client', 10, 10, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  const why =
    'window 1 had no request, so the previous count is 0 and the 10 requests of window 0 no longer count: ' +
    'they were made in window 0, two windows ago';
  await s.moveTo(2250);
  s.expectPasses('client', 12, 10, why, (got) => (got === 2 ? 'Your limiter still used the count of window 0 as the previous one' : undefined));
  await s.moveTo(10_500);
  s.expectPasses(
    'client',
    12,
    10,
    'nothing was requested in windows 3 to 9, so the 10 requests of window 2 no longer count (previous = 0, current = 0)',
    (got) => (got === 5 ? 'Your limiter still used the count of window 2 as the previous one' : undefined),
  );
});

test('windows are counted from when the limiter was created, not from the first request', async () => {
  useVirtualTime();
  await advance(300);
  const s = new Subject(10, 1000);
  await s.moveTo(500);
  s.expectPasses('client', 12, 10, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  await s.moveTo(1250);
  s.expectPasses(
    'client',
    5,
    2,
    'windows start when the limiter is created, so 1250 ms after its creation is 25% into window 1, and the 10 requests made ' +
      '500 ms after its creation (in window 0) weigh 10 × (1 − 0.25) = 7.5: two more requests pass (9.5 ≤ 10), a third would make 10.5',
    (got) =>
      got === 0
        ? 'Your limiter refused them all, as if its first window had started at the first request (500 ms after its creation)'
        : undefined,
  );
});

test('keys are independent: each key has its own counters', async () => {
  useVirtualTime();
  const s = new Subject(3, 1000);
  const fresh = 'a key that was never used has no history: the first 3 requests pass (estimate + 1 ≤ limit), whatever other keys did';
  s.expectPasses('alice', 5, 3, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  s.expectPasses('bob', 5, 3, `keys are independent; ${fresh}`);
  s.expectPasses('alice', 1, 0, "keys are independent: 'alice' already used her 3 requests in this window, whatever 'bob' did");
  await s.moveTo(1500);
  s.expectPasses('carol', 5, 3, `keys are independent; ${fresh}`);
  s.expectPasses(
    'alice',
    3,
    1,
    "keys are independent: 'alice' made 3 requests in window 0, so halfway into window 1 her estimate is 3 × (1 − 0.5) = 1.5 " +
      'and one request passes (2.5 ≤ 3), whatever other keys did',
  );
});

test('keys of every shape are independent: inherited names, empty, mixed case, non-ASCII, sequential', async () => {
  useVirtualTime();
  const s = new Subject(2, 1000);
  // Names an object literal already has ('constructor', '__proto__', …) must start with no history too.
  const keys = ['constructor', '__proto__', 'toString', 'hasOwnProperty', '', 'Alice', 'alice', 'ALICE', 'ключ', '🔑', 'tenant-1000', 'tenant-1001', 'tenant-10001'];
  for (const key of keys) s.expectPasses(key, 3, 2, `key ${show(key)} is a key like any other, never used before: in a fresh window 2 requests pass (limit 2), whatever other keys did`);
  const tracked = s.tracked();
  check(tracked === keys.length, () => `after ${keys.length} different keys (${keys.map((k) => show(k)).join(', ')}) made requests, trackedKeys() returned ${tracked}; expected ${keys.length}`);
  await s.moveTo(2500);
  s.acquire('now');
  const later = s.tracked();
  check(later === 1, () => `at ${s.when}, when only 'now' has made a request since window 0, trackedKeys() returned ${later}; expected 1: every idle key is dropped, whatever its name`);
});

test('trackedKeys() counts the keys with an accepted request in the current or the previous window', async () => {
  useVirtualTime();
  const s = new Subject(2, 1000);
  const initial = s.tracked();
  check(initial === 0, `trackedKeys() on a new limiter returned ${initial}; expected 0`);
  for (let i = 0; i < 1000; i++) s.acquire(`key-${i}`);
  let tracked = s.tracked();
  check(tracked === 1000, `right after 1,000 different keys made one request each, trackedKeys() returned ${tracked}; expected 1000`);
  s.acquire('key-0');
  tracked = s.tracked();
  check(tracked === 1000, `after one of those 1,000 keys made a second request, trackedKeys() returned ${tracked}; expected 1000 (still 1,000 different keys)`);
  await s.moveTo(1500);
  s.acquire('late');
  tracked = s.tracked();
  check(
    tracked === 1001,
    `at ${s.when}, after 1,000 keys made a request in window 0 and 'late' made one now, trackedKeys() returned ${tracked}; ` +
      'expected 1001: the requests of window 0 still weigh in window 1, so the limiter must keep those keys',
  );
});

test('idle keys are dropped: two windows after 10,000 keys were used, only the active keys are tracked', async () => {
  useVirtualTime();
  const s = new Subject(2, 1000);
  for (let i = 0; i < 10_000; i++) s.acquire(`key-${i}`);
  s.expectPasses('busy', 3, 2, 'in a fresh window a request passes only if estimate + 1 ≤ limit');
  await s.moveTo(1250);
  s.expectPasses('busy', 1, 0, "the estimate of 'busy' is 2 × (1 − 0.25) = 1.5, and 1.5 + 1 > limit 2");
  s.acquire('recent');
  await s.moveTo(2500);
  s.acquire('now');
  const tracked = s.tracked();
  if (tracked === 3) {
    fail(
      `at ${s.when}, trackedKeys() returned 3; expected 2 ('recent', used in window 1, and 'now'): 'busy' only had requests refused in window 1, ` +
        'and refused requests do not count, so its last accepted request was in window 0 and it is idle: store nothing for a refused request',
    );
  }
  check(
    tracked === 2,
    `at ${s.when}, after 10,000 keys (and 'busy') made requests in window 0, 'recent' one in window 1 and 'now' one in window 2, ` +
      `trackedKeys() returned ${tracked}; expected 2 ('recent' and 'now'): a key with no accepted request in the current or the ` +
      'previous window is idle and must hold no state, or memory grows with every key ever seen',
  );
  await s.moveTo(5000);
  s.acquire('later');
  const after = s.tracked();
  check(
    after === 1,
    `at ${s.when}, when only 'later' has made a request since window 3, trackedKeys() returned ${after}; expected 1: idle keys must be dropped`,
  );
});

test('the constructor throws a RangeError for a limit that is not a positive integer', () => {
  useVirtualTime();
  for (const limit of [0, -1, 2.5, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expectRangeError(() => new SlidingWindowLimiter({ limit, windowMs: 1000 }), `new SlidingWindowLimiter({ limit: ${limit}, windowMs: 1000 })`);
  }
});

test('the constructor throws a RangeError for a windowMs that is not positive and finite', () => {
  useVirtualTime();
  for (const windowMs of [0, -1000, Number.NaN, Number.POSITIVE_INFINITY]) {
    expectRangeError(() => new SlidingWindowLimiter({ limit: 10, windowMs }), `new SlidingWindowLimiter({ limit: 10, windowMs: ${windowMs} })`);
  }
});

test('the constructor accepts any positive integer limit and any positive finite windowMs', () => {
  useVirtualTime();
  for (const [limit, windowMs] of [[1, 1000], [1_000_000, 0.5], [7, 86_400_000]] as const) {
    const s = new Subject(limit, windowMs);
    const first = s.acquire('client');
    check(first === true, `the first request on ${s.label} returned ${show(first)}; expected true`);
  }
});

interface Step {
  waitMs: number;
  key: string;
  calls: number;
}
interface Scenario {
  limit: number;
  windowMs: number;
  steps: Step[];
}

const KEYS = ['a', 'b', 'c'] as const;

const scenarios: fc.Arbitrary<Scenario> = fc
  .record({
    limit: fc.integer({ min: 1, max: 8 }),
    windowMs: fc.constantFrom(1000, 60_000, 250, 7, 3, 2.5, 1000.5),
  })
  .chain(({ limit, windowMs }) =>
    fc.record({
      limit: fc.constant(limit),
      windowMs: fc.constant(windowMs),
      steps: fc.array(
        fc.record({
          waitMs: fc.oneof(
            fc.constant(0),
            fc.integer({ min: 1, max: Math.max(1, Math.floor(windowMs / 4)) }),
            fc.integer({ min: 0, max: Math.floor(3 * windowMs) }),
          ),
          key: fc.constantFrom(...KEYS),
          calls: fc.integer({ min: 1, max: limit + 2 }),
        }),
        { minLength: 1, maxLength: 25 },
      ),
    }),
  );

function describeScenario(s: Scenario): string {
  const steps = s.steps.map((st) => `wait ${st.waitMs} ms, ${st.calls} × tryAcquire('${st.key}')`);
  return `a limiter with limit ${s.limit}, windowMs ${s.windowMs}, then: ${steps.join('; ')}`;
}

/** The exact model: counts of accepted requests per key, for the last window with one, and the window before it. */
interface ModelKey {
  window: number;
  current: number;
  previous: number;
}

/** check(), with its detail too built only when the check fails. */
function checkLazily(condition: boolean, message: () => string, detail: () => string): void {
  if (!condition) fail(message(), detail());
}

test('matches the sliding-window counter exactly over random keys and waits (every decision and trackedKeys())', async () => {
  useVirtualTime();
  await holds(
    fc.property(scenarios, fc.integer({ min: 0, max: 999 }), ({ limit, windowMs, steps }, offset) => {
      // Creating the limiter at an arbitrary moment: windows start then, not on a round clock value.
      vi.advanceTimersByTime(offset);
      const s = new Subject(limit, windowMs);
      const W = windowMs;
      const model = new Map<string, ModelKey>();
      // What happened, written out only for a failure's message (formatting every step costs more than the step).
      const log: Array<() => string> = [];
      const detail = () => `what happened (times since the limiter was created):\n${log.slice(-20).map((line) => line()).join('\n')}`;
      for (const { waitMs, key, calls } of steps) {
        vi.advanceTimersByTime(waitMs);
        const t = s.t;
        const w = Math.floor(t / W);
        const r = t - w * W;
        const where = () => `t = ${t} ms (window ${w}, ${Number(((r / W) * 100).toFixed(2))}% in)`;
        for (let call = 0; call < calls; call++) {
          const m = model.get(key);
          let current = 0;
          let previous = 0;
          if (m?.window === w) {
            current = m.current;
            previous = m.previous;
          } else if (m?.window === w - 1) {
            previous = m.current;
          }
          // All in integers, scaled by W: estimate × W = previous × (W − r) + current × W.
          const scaled = previous * (W - r) + current * W;
          const estimate = scaled / W;
          // An exact tie (estimate + 1 = limit) is judged only when the estimate is a whole number in
          // any arithmetic (no previous count, or the window has just begun); otherwise floating
          // point may land either side of it, and either answer is accepted.
          const exactTie = previous === 0 || r === 0;
          const mustAccept = scaled + W < limit * W || (exactTie && scaled + W === limit * W);
          const mustRefuse = scaled + W > limit * W;
          const wanted = mustAccept ? 'true' : mustRefuse ? 'false' : 'true or false';
          const got = s.acquire(key);
          const formula = () => `${previous} × (1 − ${show(r / W)}) + ${current} = ${show(estimate)}`;
          log.push(() => `  ${where()}: tryAcquire('${key}') → ${got} (expected ${wanted}: estimate ${formula()}, limit ${limit})`);
          checkLazily(
            !(mustAccept && !got) && !(mustRefuse && got),
            () =>
              `at ${where()}, tryAcquire('${key}') returned ${got}; expected ${wanted}: key '${key}' had ${requests(previous)} accepted in the ` +
              `previous window and ${current} in the current one, so its estimate is ${formula()}; with limit ${limit}, a request passes only if estimate + 1 ≤ limit`,
            detail,
          );
          // On an inexact tie either answer is accepted: follow the learner's.
          if (got) model.set(key, { window: w, current: current + 1, previous });
        }
        const active = [...model.entries()].filter(([, m]) => m.window >= w - 1).map(([k]) => `'${k}'`);
        const tracked = s.tracked();
        log.push(() => `  ${where()}: trackedKeys() → ${tracked} (expected ${active.length})`);
        checkLazily(
          tracked === active.length,
          () =>
            `at ${where()}, trackedKeys() returned ${tracked}; expected ${active.length}` +
            (active.length > 0 ? ` (${active.join(', ')})` : '') +
            ': the keys with an accepted request in the current or the previous window, no more, no fewer',
          detail,
        );
      }
    }),
    { describe: ([s, offset]) => describeScenario(s) + (offset > 0 ? ` (the limiter was created after an extra wait of ${offset} ms)` : '') },
  );
});
