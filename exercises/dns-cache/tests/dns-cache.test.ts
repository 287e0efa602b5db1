import fc from 'fast-check';
import { test } from 'vitest';
import {
  advance,
  check,
  describeThrown,
  fail,
  flushMicrotasks,
  holds,
  pendingTimers,
  settle,
  streamFor,
  useVirtualTime,
  virtualNow,
  type Settled,
} from 'learn-ds/harness';
import type { Answer } from 'learn-ds/subject/dns-cache';
import { CachingResolver, NameNotFoundError } from 'learn-ds/subject/dns-cache';

type Resolver = InstanceType<typeof CachingResolver>;

// ---- Settings and names, drawn from the suite's seed. ----

interface Settings {
  /** TTL of the positive answers the upstream gives. */
  ttlMs: number;
  /** TTL of the negative answers (NXDOMAIN) the upstream gives. */
  negativeTtlMs: number;
  upstreamTimeoutMs: number;
  staleGraceMs: number;
  /** How long the upstream takes to answer, when it answers in time. */
  delayMs: number;
}

/** Per-test settings: ttlMs 500..5000, negativeTtlMs 300..3000, upstreamTimeoutMs 200..800, staleGraceMs 2000..10000, delayMs 5..40. */
function settingsFor(label: string): Settings {
  const random = streamFor(label);
  const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return {
    ttlMs: 100 * pick(5, 50),
    negativeTtlMs: 100 * pick(3, 30) + 50,
    upstreamTimeoutMs: 50 * pick(4, 16),
    staleGraceMs: 500 * pick(4, 20),
    delayMs: pick(5, 40),
  };
}

const HOSTNAMES = [
  'api.example.com',
  'payments.internal.example',
  'shop.example.org',
  'auth.example.net',
  'cdn.example.com',
  'db-primary.example.internal',
];

/** `count` different host names for a test, in lower case. */
function namesFor(label: string, count = 1): string[] {
  const random = streamFor(`${label}/names`);
  const pool = [...HOSTNAMES];
  const names: string[] = [];
  while (names.length < count) names.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return names;
}

/** A spelling of `name` with some letters in upper case (never all lower case). */
function mixedCase(name: string, random: () => number): string {
  let out = '';
  for (const ch of name) out += random() < 0.5 ? ch.toUpperCase() : ch;
  return out === name ? name.charAt(0).toUpperCase() + name.slice(1) : out;
}

function newResolver(upstream: FakeUpstream, s: Pick<Settings, 'upstreamTimeoutMs' | 'staleGraceMs'>): Resolver {
  return new CachingResolver({ upstream: upstream.fn, upstreamTimeoutMs: s.upstreamTimeoutMs, staleGraceMs: s.staleGraceMs });
}

function settingsText(s: Pick<Settings, 'upstreamTimeoutMs' | 'staleGraceMs'>): string {
  return `upstreamTimeoutMs = ${s.upstreamTimeoutMs}, staleGraceMs = ${s.staleGraceMs}`;
}

// ---- A scripted upstream in virtual time. ----

type Reply =
  | { kind: 'answer'; addresses: string[]; ttlMs: number; delayMs: number }
  | { kind: 'nxdomain'; ttlMs: number; delayMs: number }
  | { kind: 'fail'; error: unknown; delayMs: number }
  /** Never answers. */
  | { kind: 'hang' };

class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';
}

function describeReply(r: Reply): string {
  switch (r.kind) {
    case 'answer': return `answers ${list(r.addresses)} (ttlMs = ${r.ttlMs}) after ${r.delayMs} ms`;
    case 'nxdomain': return `answers NXDOMAIN (a NameNotFoundError with ttlMs = ${r.ttlMs}) after ${r.delayMs} ms`;
    case 'fail': return `fails after ${r.delayMs} ms (with ${describeThrown(r.error)})`;
    case 'hang': return 'never answers';
  }
}

/**
 * The upstream the resolver is given. Each name has a script of replies: every call takes the next
 * one, and the last one repeats. It records its calls, the errors it rejected with, and the timers
 * it has scheduled, so that the learner's own timers can be counted apart from them.
 */
class FakeUpstream {
  readonly calls: { hostname: string; atMs: number }[] = [];
  /** Which call produced each error the upstream rejected with. */
  readonly errorCall = new Map<unknown, number>();
  #scripts = new Map<string, Reply[]>();
  #timers = 0;
  #addresses = 0;

  readonly fn = (hostname: string): Promise<Answer> => {
    this.calls.push({ hostname, atMs: virtualNow() });
    const callNumber = this.calls.length;
    const script = this.#scripts.get(String(hostname).toLowerCase());
    const reply = script === undefined ? undefined : script.length > 1 ? script.shift() : script[0];
    if (reply === undefined) return Promise.reject(new Error(`(test bug) nothing scripted for ${hostname}`));
    if (reply.kind === 'hang') return new Promise<Answer>(() => {});
    return new Promise<Answer>((resolve, reject) => {
      this.#timers++;
      setTimeout(() => {
        this.#timers--;
        if (reply.kind === 'answer') {
          resolve({ addresses: [...reply.addresses], ttlMs: reply.ttlMs });
        } else if (reply.kind === 'fail') {
          this.errorCall.set(reply.error, callNumber);
          reject(reply.error);
        } else {
          try {
            reject(new NameNotFoundError(hostname, reply.ttlMs));
          } catch (error) {
            reject(error);
          }
        }
      }, reply.delayMs);
    });
  };

  /** Sets what the next calls for `name` reply, in order (the last one repeats). */
  script(name: string, ...replies: Reply[]): void {
    this.#scripts.set(name.toLowerCase(), replies);
  }

  answer(ttlMs: number, delayMs: number): Extract<Reply, { kind: 'answer' }> {
    const n = ++this.#addresses;
    return { kind: 'answer', addresses: [`192.0.2.${2 * n - 1}`, `192.0.2.${2 * n}`], ttlMs, delayMs };
  }

  nxdomain(ttlMs: number, delayMs: number): Reply {
    return { kind: 'nxdomain', ttlMs, delayMs };
  }

  failure(delayMs: number): Extract<Reply, { kind: 'fail' }> {
    return this.failureWith(delayMs, new UpstreamFailure('SERVFAIL: the authoritative server failed'));
  }

  /** A failure with any value an upstream may reject with (undefined included). */
  failureWith(delayMs: number, error: unknown): Extract<Reply, { kind: 'fail' }> {
    return { kind: 'fail', error, delayMs };
  }

  /** Upstream calls so far, all names together. */
  count(): number {
    return this.calls.length;
  }

  callsFor(name: string): number {
    return this.calls.filter((c) => c.hostname.toLowerCase() === name.toLowerCase()).length;
  }

  /** The upstream's own timers still scheduled (its answers still to come). */
  get timers(): number {
    return this.#timers;
  }
}

// ---- Calling the resolver and describing what it did. ----

function list(addresses: readonly unknown[]): string {
  return `[${addresses.map((a) => (typeof a === 'string' ? a : String(a))).join(', ')}]`;
}

function calls(n: number): string {
  return n === 1 ? '1 upstream call' : `${n} upstream calls`;
}

/** Calls `resolver.resolve(hostname)`, turning a synchronous throw or a non-promise into a learner's message. */
function start(resolver: Resolver, hostname: string): Promise<string[]> {
  let returned: unknown;
  try {
    returned = resolver.resolve(hostname);
  } catch (error) {
    fail(
      `resolve('${hostname}') threw ${describeThrown(error)} synchronously; it must return a promise ` +
        '(declare `resolve` as `async`, or return `Promise.reject(...)`)',
    );
  }
  if (typeof (returned as { then?: unknown } | null)?.then !== 'function') {
    fail(`resolve('${hostname}') returned ${describeThrown(returned).replace(/ \(not an Error\)$/, '')}; expected a promise`);
  }
  return returned as Promise<string[]>;
}

/** Resolves `hostname` and runs virtual time until the promise settles. */
async function resolveNow(resolver: Resolver, hostname: string): Promise<Settled<string[]>> {
  const settled = await settle(start(resolver, hostname), 600_000);
  await flushMicrotasks();
  return settled;
}

function isTimeoutError(reason: unknown): boolean {
  return reason instanceof Error && /time[ds]?[\s_-]*out/i.test(`${reason.name} ${reason.message}`);
}

/** What a settled resolve did, for a message: "resolved with [...]", "rejected with the upstream's error". */
function describeOutcome(o: Settled<string[]>, upstream?: FakeUpstream): string {
  if (o.status === 'fulfilled') {
    return Array.isArray(o.value) ? `resolved with ${list(o.value)}` : `resolved with ${describeThrown(o.value).replace(/ \(not an Error\)$/, '')}`;
  }
  if (o.status === 'hung') {
    return o.why === 'no-timers'
      ? 'never settled (nothing was left scheduled that could settle it)'
      : 'had still not settled after ten minutes';
  }
  const reason = o.reason;
  const call = upstream?.errorCall.get(reason);
  if (call !== undefined) return `rejected with the upstream's error from upstream call ${call}`;
  if (reason instanceof NameNotFoundError) return `rejected with a NameNotFoundError for '${String(reason.hostname)}'`;
  return `rejected with ${describeThrown(reason)}`;
}

function sameAddresses(value: unknown, expected: readonly string[]): boolean {
  return Array.isArray(value) && value.length === expected.length && value.every((a, i) => a === expected[i]);
}

function expectAddresses(o: Settled<string[]>, expected: readonly string[], when: string, up: FakeUpstream, why = ''): void {
  check(
    o.status === 'fulfilled' && sameAddresses(o.value, expected),
    () => `${when}, it ${describeOutcome(o, up)}; expected it to resolve with ${list(expected)}${why}`,
  );
}

function expectNotFound(o: Settled<string[]>, hostname: string, when: string, up: FakeUpstream, why = ''): void {
  if (o.status === 'rejected' && o.reason instanceof NameNotFoundError) {
    const got = (o.reason as { hostname?: unknown }).hostname;
    check(
      typeof got === 'string' && got.toLowerCase() === hostname.toLowerCase(),
      () => `${when}, it rejected with a NameNotFoundError whose hostname is ${typeof got === 'string' ? `'${got}'` : String(got)}; expected '${hostname}'`,
    );
    return;
  }
  fail(`${when}, it ${describeOutcome(o, up)}; expected it to reject with a NameNotFoundError (an instance of your class) for '${hostname}'${why}`);
}

function expectUpstreamError(o: Settled<string[]>, error: unknown, when: string, up: FakeUpstream, why = ''): void {
  check(
    o.status === 'rejected' && o.reason === error,
    () => `${when}, it ${describeOutcome(o, up)}; expected it to reject with the upstream's error itself, the same object${why ? ` (${why})` : ''}`,
  );
}

/** The learner's timers still scheduled: all of them minus the upstream's own. */
function learnerTimers(up: FakeUpstream): number {
  return pendingTimers() - up.timers;
}

async function waitUntil(atMs: number): Promise<void> {
  const ms = atMs - virtualNow();
  if (ms > 0) await advance(ms);
}

/** Settles several resolve calls made together, running virtual time until all of them have settled. */
async function settleAll(promises: Promise<string[]>[]): Promise<Settled<string[]>[]> {
  const all = await settle(Promise.allSettled(promises), 600_000);
  await flushMicrotasks();
  if (all.status !== 'fulfilled') return promises.map(() => ({ status: 'hung', why: all.status === 'hung' ? all.why : 'no-timers', atMs: all.atMs }));
  return all.value.map((r) =>
    r.status === 'fulfilled'
      ? { status: 'fulfilled', value: r.value, atMs: all.atMs }
      : { status: 'rejected', reason: r.reason as unknown, atMs: all.atMs },
  );
}

// ---- Positive and negative caching. ----

test('caches a positive answer for its ttlMs: until then resolve answers without asking the upstream', async () => {
  useVirtualTime();
  const s = settingsFor('positive-ttl');
  const [name] = namesFor('positive-ttl') as [string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.delayMs);
  up.script(name, a, up.answer(s.ttlMs, s.delayMs));
  const resolver = newResolver(up, s);
  const first = await resolveNow(resolver, name);
  expectAddresses(first, a.addresses, `on the first resolve('${name}'), with an upstream that ${describeReply(a)}`, up);
  check(up.count() === 1, () => `the first resolve('${name}') made ${calls(up.count())}; expected exactly 1`);
  const arrived = virtualNow();
  for (const after of [0, Math.floor(s.ttlMs / 2), s.ttlMs - s.delayMs - 1]) {
    await waitUntil(arrived + after);
    const o = await resolveNow(resolver, name);
    const when = `resolve('${name}') ${after} ms after the answer arrived (ttlMs = ${s.ttlMs})`;
    check(
      up.count() === 1,
      () => `${when} asked the upstream again (${calls(up.count())} in all); expected the cached addresses, ` +
        'with no upstream call, until the answer\'s ttlMs has run out',
    );
    expectAddresses(o, a.addresses, when, up, ' (the cached answer)');
  }
});

test("asks the upstream again once the answer's ttlMs has run out, and caches the new answer for its own ttlMs", async () => {
  useVirtualTime();
  const s = settingsFor('positive-expiry');
  const [name] = namesFor('positive-expiry') as [string];
  const up = new FakeUpstream();
  const ttl2 = s.ttlMs + 700;
  const a = up.answer(s.ttlMs, s.delayMs);
  const b = up.answer(ttl2, s.delayMs);
  const c = up.answer(s.ttlMs, s.delayMs);
  up.script(name, a, b, c);
  const resolver = newResolver(up, s);
  expectAddresses(await resolveNow(resolver, name), a.addresses, `on the first resolve('${name}')`, up);
  await waitUntil(virtualNow() + s.ttlMs + 1);
  const o = await resolveNow(resolver, name);
  const when = `resolve('${name}') ${s.ttlMs + 1} ms after the answer arrived (ttlMs = ${s.ttlMs})`;
  check(
    up.count() === 2,
    () => up.count() < 2
      ? `${when} did not ask the upstream again (${calls(up.count())} in all) and ${describeOutcome(o, up)}; ` +
        `expected a new upstream call: a cached answer is used only until its ttlMs (${s.ttlMs} ms) has run out`
      : `${when} made ${up.count() - 1} upstream calls; expected exactly 1 new call`,
  );
  expectAddresses(o, b.addresses, when, up, ' (the new answer)');
  const arrived = virtualNow();
  await waitUntil(arrived + ttl2 - s.delayMs - 1);
  const cached = await resolveNow(resolver, name);
  const when2 = `resolve('${name}') ${ttl2 - s.delayMs - 1} ms after the second answer arrived (its ttlMs = ${ttl2}, the first one's was ${s.ttlMs})`;
  check(
    up.count() === 2,
    () => `${when2} asked the upstream again (${calls(up.count())} in all); expected the cached addresses: ` +
      "each answer is cached for its own ttlMs",
  );
  expectAddresses(cached, b.addresses, when2, up);
  await waitUntil(arrived + ttl2 + 1);
  const third = await resolveNow(resolver, name);
  const when3 = `resolve('${name}') ${ttl2 + 1} ms after the second answer arrived (its ttlMs = ${ttl2})`;
  check(
    up.count() === 3,
    () => `${when3} did not ask the upstream again (${calls(up.count())} in all); expected a new upstream call: ` +
      `the second answer's ttlMs (${ttl2} ms) has run out`,
  );
  expectAddresses(third, c.addresses, when3, up);
});

test("caches a negative answer (NameNotFoundError) for that error's ttlMs", async () => {
  useVirtualTime();
  const s = settingsFor('negative-ttl');
  const [name] = namesFor('negative-ttl') as [string];
  const up = new FakeUpstream();
  const nx = up.nxdomain(s.negativeTtlMs, s.delayMs);
  const a = up.answer(s.ttlMs, s.delayMs);
  up.script(name, nx, a);
  const resolver = newResolver(up, s);
  expectNotFound(await resolveNow(resolver, name), name, `on the first resolve('${name}'), with an upstream that ${describeReply(nx)}`, up);
  const arrived = virtualNow();
  const why = "a negative answer is cached for the NameNotFoundError's ttlMs, like a positive one for the answer's";
  for (const after of [0, Math.floor(s.negativeTtlMs / 2), s.negativeTtlMs - s.delayMs - 1]) {
    await waitUntil(arrived + after);
    const o = await resolveNow(resolver, name);
    const when = `resolve('${name}') ${after} ms after the NXDOMAIN answer arrived (its ttlMs = ${s.negativeTtlMs})`;
    check(
      up.count() === 1,
      () => `${when} asked the upstream again (${calls(up.count())} in all) and ${describeOutcome(o, up)}; ` +
        `expected it to reject with a NameNotFoundError without asking the upstream: ${why}`,
    );
    expectNotFound(o, name, when, up, ` (${why})`);
  }
  await waitUntil(arrived + s.negativeTtlMs + 1);
  const o = await resolveNow(resolver, name);
  const when = `resolve('${name}') ${s.negativeTtlMs + 1} ms after the NXDOMAIN answer arrived`;
  check(
    up.count() === 2,
    () => `${when} did not ask the upstream again (${calls(up.count())} in all) and ${describeOutcome(o, up)}; ` +
      `expected a new upstream call: the negative answer's ttlMs (${s.negativeTtlMs} ms) has run out`,
  );
  expectAddresses(o, a.addresses, when, up, ' (the name exists now)');
});

/** The two ways a limit is written in the edge checks: whole milliseconds, and half a millisecond more. */
const FRACTIONS = [0, 0.5] as const;

test('a TTL runs out at exactly ttlMs after the answer arrived; a fractional ttlMs (n + 0.5) still holds at n ms, not at n + 1', async () => {
  for (const [kind, f] of [['positive', 0], ['positive', 0.5], ['negative', 0], ['negative', 0.5]] as const) {
    useVirtualTime();
    const s = settingsFor(`ttl-edge-${kind}-${f}`);
    const [name] = namesFor(`ttl-edge-${kind}-${f}`) as [string];
    const whole = kind === 'positive' ? s.ttlMs : s.negativeTtlMs;
    const ttl = whole + f;
    const up = new FakeUpstream();
    const first = kind === 'positive' ? up.answer(ttl, s.delayMs) : up.nxdomain(ttl, s.delayMs);
    const fresh = up.answer(s.ttlMs, s.delayMs);
    up.script(name, first, fresh);
    const resolver = newResolver(up, s);
    const o = await resolveNow(resolver, name);
    const arrived = o.atMs;
    const what = kind === 'positive' ? `an answer with ttlMs = ${ttl}` : `an NXDOMAIN answer (NameNotFoundError with ttlMs = ${ttl})`;
    // Still cached 1 ms before the end, and at n ms when the TTL is n + 0.5.
    for (const after of f === 0 ? [whole - 1] : [whole - 1, whole]) {
      await waitUntil(arrived + after);
      await resolveNow(resolver, name);
      check(up.count() === 1, () =>
        `resolve('${name}') ${after} ms after ${what} arrived asked the upstream again; expected the cached answer: ` +
          `${after} ms is less than ttlMs = ${ttl}${f === 0 ? '' : ' (do not round a fractional ttlMs down)'}`);
    }
    const end = f === 0 ? whole : whole + 1;
    await waitUntil(arrived + end);
    const again = await resolveNow(resolver, name);
    check(up.count() === 2, () =>
      `resolve('${name}') ${end} ms after ${what} arrived did not ask the upstream (${describeOutcome(again, up)}); expected a new upstream call: ` +
        (f === 0 ? `at exactly ttlMs = ${ttl} ms the TTL has run out` : `${end} ms is more than ttlMs = ${ttl} (do not round a fractional ttlMs up)`));
  }
});

test('stale addresses are served when they expired less than staleGraceMs ago, at the moment of the failure: not at exactly staleGraceMs; fractional too', async () => {
  for (const f of FRACTIONS) {
    const base = settingsFor(`grace-edge-${f}`);
    const grace = base.staleGraceMs + f;
    // Failures that arrive `past` ms after the expiry: served before the edge, refused at (or past) it.
    const served = f === 0 ? [base.staleGraceMs - 1] : [base.staleGraceMs - 1, base.staleGraceMs];
    const refused = f === 0 ? base.staleGraceMs : base.staleGraceMs + 1;
    for (const past of [...served, refused]) {
      useVirtualTime();
      const s = { ...base, staleGraceMs: grace };
      const [name] = namesFor(`grace-edge-${f}-${past}`) as [string];
      const up = new FakeUpstream();
      const a = up.answer(s.ttlMs, s.delayMs);
      const failure = up.failure(s.delayMs);
      up.script(name, a, failure);
      const resolver = newResolver(up, s);
      const expiredAt = (await resolveNow(resolver, name)).atMs + s.ttlMs;
      await waitUntil(expiredAt + past - s.delayMs);
      const o = await resolveNow(resolver, name);
      const when = `resolve('${name}'), whose upstream failed ${past} ms after the cached answer expired (staleGraceMs = ${grace})`;
      if (past === refused) {
        expectUpstreamError(o, failure.error, when, up, f === 0
          ? 'at exactly staleGraceMs the grace is over: stale addresses are served only when they expired less than staleGraceMs ago'
          : `${past} ms is more than staleGraceMs = ${grace} (do not round a fractional staleGraceMs up)`);
      } else {
        expectAddresses(o, a.addresses, when, up, `, the stale addresses: ${past} ms is less than staleGraceMs = ${grace}${f === 0 ? '' : ' (do not round a fractional staleGraceMs down)'}`);
      }
    }
  }
});

test("passes on every kind of upstream failure as it is (a string, a plain object, undefined, an Error subclass), and serves stale addresses for each", async () => {
  const kinds: Array<[string, unknown]> = [
    ['a string', 'SERVFAIL'],
    ['a plain object', { code: 'SERVFAIL', rcode: 2 }],
    ['undefined', undefined],
    ['an Error subclass', new UpstreamFailure('connection refused')],
  ];
  for (const [label, error] of kinds) {
    useVirtualTime();
    const s = settingsFor(`failure-kinds-${label}`);
    const [name, other] = namesFor(`failure-kinds-${label}`, 2) as [string, string];
    const up = new FakeUpstream();
    const failure = up.failureWith(s.delayMs, error);
    up.script(name, failure);
    const a = up.answer(s.ttlMs, s.delayMs);
    up.script(other, a, failure);
    const resolver = newResolver(up, s);
    expectUpstreamError(await resolveNow(resolver, name), error, `resolve('${name}'), with an upstream that rejects with ${label} (${describeThrown(error)}) and nothing cached`, up,
      'pass it on as it is, whatever the upstream rejected with: do not wrap it, replace it, or read fields it may not have');
    expectAddresses(await resolveNow(resolver, other), a.addresses, `on the first resolve('${other}')`, up);
    await advance(s.ttlMs + 1);
    expectAddresses(await resolveNow(resolver, other), a.addresses,
      `resolve('${other}') 1 ms after its answer expired, with an upstream that rejects with ${label} (${describeThrown(error)})`, up,
      `, the stale addresses: every failure other than a NameNotFoundError, ${label} included, falls back on them within staleGraceMs`);
  }
});

test('a fractional upstreamTimeoutMs (n + 0.5): an upstream answering after n ms is waited for; one that never answers is given up on at n + 1 ms', async () => {
  useVirtualTime();
  const s = settingsFor('timeout-fraction');
  const t = s.upstreamTimeoutMs + 0.5;
  const [name, hung] = namesFor('timeout-fraction', 2) as [string, string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.upstreamTimeoutMs);
  up.script(name, a);
  up.script(hung, { kind: 'hang' });
  const resolver = newResolver(up, { ...s, upstreamTimeoutMs: t });
  expectAddresses(await resolveNow(resolver, name), a.addresses, `resolve('${name}'), with an upstream that ${describeReply(a)} (upstreamTimeoutMs = ${t})`, up,
    `: ${s.upstreamTimeoutMs} ms is within upstreamTimeoutMs = ${t} (do not round a fractional upstreamTimeoutMs down)`);
  const startedAt = virtualNow();
  const o = await resolveNow(resolver, hung);
  check(o.status === 'rejected' && isTimeoutError(o.reason) && o.atMs - startedAt === s.upstreamTimeoutMs + 1, () =>
    `resolve('${hung}'), with an upstream that never answers (upstreamTimeoutMs = ${t}), ${describeOutcome(o, up)} ${o.atMs - startedAt} ms after the call; ` +
      `expected a timeout error at ${s.upstreamTimeoutMs + 1} ms: a timer of ${t} ms fires at the first whole millisecond past it`);
});

test('a NameNotFoundError is an answer, not a failure: stale addresses are not served in its place', async () => {
  useVirtualTime();
  const s = settingsFor('nxdomain-not-failure');
  const [name] = namesFor('nxdomain-not-failure') as [string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.delayMs);
  const nx = up.nxdomain(s.negativeTtlMs, s.delayMs);
  up.script(name, a, nx, up.answer(s.ttlMs, s.delayMs));
  const resolver = newResolver(up, s);
  expectAddresses(await resolveNow(resolver, name), a.addresses, `on the first resolve('${name}')`, up);
  const past = Math.floor(s.staleGraceMs / 4);
  await waitUntil(virtualNow() + s.ttlMs + past);
  const o = await resolveNow(resolver, name);
  const when = `resolve('${name}'), ${past} ms after its answer expired (staleGraceMs = ${s.staleGraceMs}), with an upstream that now ${describeReply(nx)}`;
  check(up.count() === 2, () => `${when}, made ${calls(up.count())} in all; expected 2 (the answer had expired)`);
  expectNotFound(o, name, when, up, ': a NameNotFoundError is an answer, not a failure, so stale addresses are not served in its place');
  const again = await resolveNow(resolver, name);
  check(
    up.count() === 2,
    () => `resolve('${name}') right after the NXDOMAIN answer asked the upstream again (${calls(up.count())} in all); ` +
      'expected the cached negative answer',
  );
  expectNotFound(again, name, `resolve('${name}') right after the NXDOMAIN answer`, up);
});

// ---- Sharing lookups and letter case. ----

test('concurrent resolve calls for a name share one upstream lookup and all get its outcome', async () => {
  useVirtualTime();
  const s = settingsFor('collapse');
  const random = streamFor('collapse/count');
  const n = 2 + Math.floor(random() * 5);
  const [name, name2] = namesFor('collapse', 2) as [string, string];
  const delay = s.delayMs + 20;
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, delay);
  up.script(name, a, up.answer(s.ttlMs, delay));
  const resolver = newResolver(up, s);
  const promises = Array.from({ length: n }, () => start(resolver, name));
  const half = Math.floor(delay / 2);
  await advance(half);
  promises.push(start(resolver, name));
  const outcomes = await settleAll(promises);
  check(
    up.count() === 1,
    () => `${n} concurrent resolve('${name}') calls, plus one more made ${half} ms later while the lookup was still ` +
      `in flight, made ${calls(up.count())}; expected them to share one lookup (exactly 1 upstream call)`,
  );
  outcomes.forEach((o, i) => {
    expectAddresses(o, a.addresses, `for concurrent call ${i + 1} of ${n + 1} to resolve('${name}'), with an upstream that ${describeReply(a)}`, up);
  });

  const f = up.failure(delay);
  up.script(name2, f, up.answer(s.ttlMs, delay));
  const failing = await settleAll(Array.from({ length: n }, () => start(resolver, name2)));
  check(
    up.callsFor(name2) === 1,
    () => `${n} concurrent resolve('${name2}') calls, with an upstream that ${describeReply(f)}, made ${calls(up.callsFor(name2))}; ` +
      'expected them to share one lookup (exactly 1 upstream call)',
  );
  failing.forEach((o, i) => {
    expectUpstreamError(o, f.error, `for concurrent call ${i + 1} of ${n} to resolve('${name2}'), whose shared lookup failed with no stale answer at hand`, up);
  });
});

test('names are case-insensitive: every spelling of a name is one cache entry', async () => {
  useVirtualTime();
  const s = settingsFor('case');
  const random = streamFor('case/spelling');
  const [name, missing] = namesFor('case', 2) as [string, string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.delayMs);
  up.script(name, a, up.answer(s.ttlMs, s.delayMs));
  const nx = up.nxdomain(s.negativeTtlMs, s.delayMs);
  up.script(missing, nx, up.answer(s.ttlMs, s.delayMs));
  const resolver = newResolver(up, s);
  const first = mixedCase(name, random);
  expectAddresses(await resolveNow(resolver, first), a.addresses, `on the first resolve('${first}')`, up);
  for (const spelling of [name, name.toUpperCase(), mixedCase(name, random)]) {
    const o = await resolveNow(resolver, spelling);
    check(
      up.count() === 1,
      () => `after resolve('${first}'), resolve('${spelling}') asked the upstream again (${calls(up.count())} in all); ` +
        `expected the cached answer: names are case-insensitive, so '${first}' and '${spelling}' are one cache entry`,
    );
    expectAddresses(o, a.addresses, `resolve('${spelling}') after resolve('${first}')`, up);
  }
  const firstMissing = missing.toUpperCase();
  expectNotFound(await resolveNow(resolver, firstMissing), missing, `on the first resolve('${firstMissing}'), with an upstream that ${describeReply(nx)}`, up);
  const other = mixedCase(missing, random);
  const o = await resolveNow(resolver, other);
  check(
    up.callsFor(missing) === 1,
    () => `after an NXDOMAIN answer for '${firstMissing}', resolve('${other}') asked the upstream again ` +
      `(${calls(up.callsFor(missing))} for that name); expected the cached negative answer: names are case-insensitive`,
  );
  expectNotFound(o, missing, `resolve('${other}') after an NXDOMAIN answer for '${firstMissing}'`, up);
});

test('concurrent calls for spellings that differ only in letter case share one lookup', async () => {
  useVirtualTime();
  const s = settingsFor('case-concurrent');
  const random = streamFor('case-concurrent/spelling');
  const [name] = namesFor('case-concurrent') as [string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.delayMs + 10);
  up.script(name, a, up.answer(s.ttlMs, s.delayMs));
  const resolver = newResolver(up, s);
  const spellings = [mixedCase(name, random), name, name.toUpperCase()];
  const outcomes = await settleAll(spellings.map((sp) => start(resolver, sp)));
  check(
    up.count() === 1,
    () => `concurrent calls resolve('${spellings.join("'), resolve('")}') made ${calls(up.count())}; ` +
      'expected them to share one lookup: names are case-insensitive',
  );
  outcomes.forEach((o, i) => expectAddresses(o, a.addresses, `for the concurrent call resolve('${spellings[i]}')`, up));
});

// ---- Failures, stale answers and timeouts. ----

test('does not cache a failure: the next resolve asks the upstream again', async () => {
  useVirtualTime();
  const s = settingsFor('failure-not-cached');
  const [name, slow] = namesFor('failure-not-cached', 2) as [string, string];
  const up = new FakeUpstream();
  const f = up.failure(s.delayMs);
  const a = up.answer(s.ttlMs, s.delayMs);
  up.script(name, f, a);
  const resolver = newResolver(up, s);
  const first = await resolveNow(resolver, name);
  check(first.status === 'rejected', () => `on the first resolve('${name}'), with an upstream that ${describeReply(f)}, it ${describeOutcome(first, up)}; expected it to reject`);
  const o = await resolveNow(resolver, name);
  check(
    up.count() === 2,
    () => `after a failed lookup, resolve('${name}') did not ask the upstream again (${calls(up.count())} in all) and ` +
      `${describeOutcome(o, up)}; expected a new upstream call: failures are not cached`,
  );
  expectAddresses(o, a.addresses, `resolve('${name}') after a failed lookup, with an upstream that now ${describeReply(a)}`, up);

  const b = up.answer(s.ttlMs, s.delayMs);
  up.script(slow, { kind: 'hang' }, b);
  const timedOut = await resolveNow(resolver, slow);
  check(
    timedOut.status === 'rejected',
    () => `resolve('${slow}'), with an upstream that never answers, ${describeOutcome(timedOut, up)}; expected it to reject ` +
      `after upstreamTimeoutMs (${s.upstreamTimeoutMs} ms)`,
  );
  const after = await resolveNow(resolver, slow);
  check(
    up.callsFor(slow) === 2,
    () => `after a lookup that timed out, resolve('${slow}') did not ask the upstream again (${calls(up.callsFor(slow))} for that name) ` +
      `and ${describeOutcome(after, up)}; expected a new upstream call: failures, timeouts included, are not cached`,
  );
  expectAddresses(after, b.addresses, `resolve('${slow}') after a timed-out lookup, with an upstream that now ${describeReply(b)}`, up);
});

test("rejects with the upstream's own error (the same object) when no stale answer is at hand", async () => {
  useVirtualTime();
  const s = settingsFor('same-error');
  const [name] = namesFor('same-error') as [string];
  const up = new FakeUpstream();
  const f = up.failure(s.delayMs);
  const g = up.failure(s.delayMs);
  up.script(name, f, g);
  const resolver = newResolver(up, s);
  const why = 'pass it on as it is: do not wrap it or replace it';
  expectUpstreamError(await resolveNow(resolver, name), f.error, `resolve('${name}'), with an upstream that ${describeReply(f)} and nothing cached`, up, why);
  expectUpstreamError(await resolveNow(resolver, name), g.error, `resolve('${name}') again, with an upstream that fails again with a new error`, up, why);
});

test('on a failure, serves the stale addresses of an answer that expired less than staleGraceMs ago', async () => {
  useVirtualTime();
  const s = settingsFor('stale-within-grace');
  const [name] = namesFor('stale-within-grace') as [string];
  const up = new FakeUpstream();
  // A TTL as long as the grace: staleGraceMs counts from the expiry, not from the answer's arrival.
  const a = up.answer(s.staleGraceMs, s.delayMs);
  const f = up.failure(s.delayMs);
  const b = up.answer(s.ttlMs, s.delayMs);
  up.script(name, a, f, b);
  const resolver = newResolver(up, s);
  expectAddresses(await resolveNow(resolver, name), a.addresses, `on the first resolve('${name}'), with an upstream that ${describeReply(a)}`, up);
  const past = Math.floor(s.staleGraceMs / 2);
  await waitUntil(virtualNow() + a.ttlMs + past);
  const o = await resolveNow(resolver, name);
  const when = `resolve('${name}'), made ${past} ms after its answer expired, with an upstream that ${describeReply(f)}`;
  check(
    up.count() === 2,
    () => `${when}, made ${calls(up.count())} in all and ${describeOutcome(o, up)}; expected it to ask the upstream ` +
      '(the cached answer had expired), and to fall back on the stale addresses only when the upstream fails',
  );
  expectAddresses(
    o, a.addresses, when, up,
    `, the stale addresses: on a failure, an answer that expired less than staleGraceMs (${s.staleGraceMs} ms) ago ` +
      `is served (staleGraceMs counts from the moment the answer expired, ttlMs = ${a.ttlMs} ms after it arrived)`,
  );
  const next = await resolveNow(resolver, name);
  check(
    up.count() === 3,
    () => `resolve('${name}') right after a failure that was answered with stale addresses did not ask the upstream ` +
      `(${calls(up.count())} in all) and ${describeOutcome(next, up)}; expected a new upstream call: neither failures ` +
      'nor the stale addresses served for them are cached',
  );
  expectAddresses(next, b.addresses, `resolve('${name}') once the upstream works again`, up);
});

test('does not serve stale addresses once staleGraceMs has passed since they expired', async () => {
  useVirtualTime();
  const s = settingsFor('stale-past-grace');
  const [name] = namesFor('stale-past-grace') as [string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.delayMs);
  const f = up.failure(s.delayMs);
  const g = up.failure(s.delayMs);
  up.script(name, a, f, { kind: 'hang' }, g);
  const resolver = newResolver(up, s);
  expectAddresses(await resolveNow(resolver, name), a.addresses, `on the first resolve('${name}')`, up);
  const expiredAt = virtualNow() + s.ttlMs;
  const why = (ms: number) =>
    `stale addresses are served only within staleGraceMs (${s.staleGraceMs} ms) of expiring, and these expired ${ms} ms before`;
  await waitUntil(expiredAt + s.staleGraceMs + 1);
  const o = await resolveNow(resolver, name);
  expectUpstreamError(o, f.error, `resolve('${name}'), made ${s.staleGraceMs + 1} ms after its answer expired, with an upstream that ${describeReply(f)}`, up, why(s.staleGraceMs + 1));

  const later = await resolveNow(resolver, name);
  const laterWhen = `resolve('${name}'), made ${virtualNow() - expiredAt} ms after its answer expired, with an upstream that never answers`;
  check(
    later.status === 'rejected' && isTimeoutError(later.reason),
    () => `${laterWhen}, it ${describeOutcome(later, up)}; expected it to reject with a timeout error: ${why(virtualNow() - expiredAt)}`,
  );
  await waitUntil(expiredAt + 10 * s.staleGraceMs);
  const much = await resolveNow(resolver, name);
  expectUpstreamError(much, g.error, `resolve('${name}'), made ${10 * s.staleGraceMs} ms after its answer expired, with an upstream that ${describeReply(g)}`, up, why(10 * s.staleGraceMs));
});

test('gives up on an upstream that does not answer within upstreamTimeoutMs and rejects with a timeout error', async () => {
  useVirtualTime();
  const s = settingsFor('timeout');
  const t = s.upstreamTimeoutMs;
  const [name, slow] = namesFor('timeout', 2) as [string, string];
  const up = new FakeUpstream();
  up.script(name, { kind: 'hang' });
  const late = up.answer(s.ttlMs, 3 * t);
  up.script(slow, late);
  const resolver = newResolver(up, s);
  for (const [host, upstream] of [[name, 'never answers'], [slow, `answers only after ${3 * t} ms`]] as const) {
    const startedAt = virtualNow();
    const o = await resolveNow(resolver, host);
    const took = o.atMs - startedAt;
    const when = `resolve('${host}'), with an upstream that ${upstream} (upstreamTimeoutMs = ${t})`;
    if (o.status !== 'rejected') {
      fail(`${when}, ${describeOutcome(o, up)}${o.status === 'fulfilled' ? ` after ${took} ms` : ''}; expected it to give up after upstreamTimeoutMs (${t} ms) and reject with an Error saying it timed out`);
    }
    check(
      took >= t && took <= t + 10,
      () => `${when}, it rejected ${took} ms after the call; expected it to give up after upstreamTimeoutMs (${t} ms)`,
    );
    check(
      isTimeoutError(o.reason),
      () => `${when}, it ${describeOutcome(o, up)}; expected an Error whose message says the lookup timed out`,
    );
  }
  await advance(3 * t);
});

test('waits for an upstream that answers within upstreamTimeoutMs', async () => {
  useVirtualTime();
  const s = settingsFor('within-timeout');
  const [name] = namesFor('within-timeout') as [string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.upstreamTimeoutMs - 20);
  up.script(name, a);
  const resolver = newResolver(up, s);
  expectAddresses(
    await resolveNow(resolver, name), a.addresses,
    `resolve('${name}'), with an upstream that ${describeReply(a)} (upstreamTimeoutMs = ${s.upstreamTimeoutMs})`, up,
    ': an upstream that answers within upstreamTimeoutMs is waited for',
  );
});

test('on a timeout, serves the stale addresses of an answer that expired less than staleGraceMs ago', async () => {
  useVirtualTime();
  const s = settingsFor('timeout-stale');
  const t = s.upstreamTimeoutMs;
  const [name] = namesFor('timeout-stale') as [string];
  const up = new FakeUpstream();
  const a = up.answer(s.ttlMs, s.delayMs);
  up.script(name, a, { kind: 'hang' });
  const resolver = newResolver(up, s);
  expectAddresses(await resolveNow(resolver, name), a.addresses, `on the first resolve('${name}')`, up);
  const past = s.staleGraceMs - t - 100;
  await waitUntil(virtualNow() + s.ttlMs + past);
  const startedAt = virtualNow();
  const o = await resolveNow(resolver, name);
  const when = `resolve('${name}'), made ${past} ms after its answer expired, with an upstream that never answers (${settingsText(s)})`;
  if (o.status === 'hung') {
    fail(`${when}, ${describeOutcome(o, up)}; expected it to give up after upstreamTimeoutMs and resolve with the stale addresses ${list(a.addresses)}`);
  }
  expectAddresses(o, a.addresses, when, up, `, the stale addresses, once upstreamTimeoutMs (${t} ms) has passed`);
  check(
    o.atMs - startedAt <= t + 10,
    () => `${when}, it took ${o.atMs - startedAt} ms to settle; expected it to give up after upstreamTimeoutMs (${t} ms)`,
  );
});

// ---- Timers and abandoned lookups. ----

test('leaves no timer of its own scheduled once resolve has settled', async () => {
  useVirtualTime();
  const s = settingsFor('timers');
  const t = s.upstreamTimeoutMs;
  const names = namesFor('timers', 5);
  const [found, missing, failing, silent, slow] = names as [string, string, string, string, string];
  const up = new FakeUpstream();
  up.script(found, up.answer(s.ttlMs, s.delayMs));
  up.script(missing, up.nxdomain(s.negativeTtlMs, s.delayMs));
  up.script(failing, up.failure(s.delayMs));
  up.script(silent, { kind: 'hang' });
  up.script(slow, up.answer(s.ttlMs, 3 * t));
  const resolver = newResolver(up, s);
  const scenarios: [string, string][] = [
    [found, `the upstream answered after ${s.delayMs} ms`],
    [found, 'answered from the cache'],
    [missing, `the upstream answered NXDOMAIN after ${s.delayMs} ms`],
    [failing, `the upstream failed after ${s.delayMs} ms`],
    [silent, `the upstream never answered and the lookup timed out after ${t} ms`],
    [slow, `the lookup timed out after ${t} ms, the upstream's answer is still to come`],
  ];
  for (const [host, what] of scenarios) {
    const o = await resolveNow(resolver, host);
    if (o.status === 'hung') {
      fail(`resolve('${host}') ${describeOutcome(o, up)}; expected it to settle within upstreamTimeoutMs (${t} ms), whatever the upstream does`);
    }
    const left = learnerTimers(up);
    check(
      left === 0,
      () => `after resolve('${host}') settled (${what}), ${left} timer${left === 1 ? '' : 's'} of your code ${left === 1 ? 'was' : 'were'} ` +
        'still scheduled; expected none: clear the timeout timer when the upstream answers first, and expire cache ' +
        'entries by comparing times when they are read, not with timers',
    );
  }
  await advance(3 * t);
});

test("a timed-out lookup is abandoned: the upstream's late answer breaks nothing", async () => {
  useVirtualTime();
  const s = settingsFor('late-answer');
  const t = s.upstreamTimeoutMs;
  const [name, other] = namesFor('late-answer', 2) as [string, string];
  const up = new FakeUpstream();
  const late = up.answer(s.ttlMs + 10 * t, 3 * t);
  const b = up.answer(s.ttlMs, s.delayMs);
  up.script(name, late, b);
  const lateFailure = up.failure(3 * t);
  const c = up.answer(s.ttlMs, s.delayMs);
  up.script(other, lateFailure, c);
  const resolver = newResolver(up, s);

  const startedAt = virtualNow();
  const first = await resolveNow(resolver, name);
  check(
    first.status === 'rejected' && isTimeoutError(first.reason),
    () => `resolve('${name}'), with an upstream that answers only after ${3 * t} ms (upstreamTimeoutMs = ${t}), ` +
      `${describeOutcome(first, up)}; expected it to reject with a timeout error`,
  );
  await waitUntil(startedAt + 3 * t + 1);
  const o = await resolveNow(resolver, name);
  const when = `after a lookup of '${name}' timed out and the upstream's answer ${list(late.addresses)} came late, ` +
    `resolve('${name}') ${describeOutcome(o, up)} with ${calls(up.callsFor(name))} in all`;
  const usedLate = up.callsFor(name) === 1 && o.status === 'fulfilled' && sameAddresses(o.value, late.addresses);
  const askedAgain = up.callsFor(name) === 2 && o.status === 'fulfilled' && sameAddresses(o.value, b.addresses);
  check(
    usedLate || askedAgain,
    () => `${when}; expected either the late addresses (if you cache a late answer) or a new upstream call resolving with ${list(b.addresses)}`,
  );

  const otherStart = virtualNow();
  const failed = await resolveNow(resolver, other);
  check(
    failed.status === 'rejected' && isTimeoutError(failed.reason),
    () => `resolve('${other}'), with an upstream that fails only after ${3 * t} ms (upstreamTimeoutMs = ${t}), ` +
      `${describeOutcome(failed, up)}; expected it to reject with a timeout error`,
  );
  await waitUntil(otherStart + 3 * t + 1);
  const after = await resolveNow(resolver, other);
  check(
    up.callsFor(other) === 2,
    () => `after a lookup of '${other}' timed out and the upstream's late failure came, resolve('${other}') made ` +
      `${calls(up.callsFor(other))} in all; expected a new upstream call: failures are not cached`,
  );
  expectAddresses(after, c.addresses, `resolve('${other}') after a timed-out lookup whose upstream later failed`, up);
});

test('keeps names apart: each name has its own answer, lookup and expiry', async () => {
  useVirtualTime();
  const s = settingsFor('independent');
  const [one, two, three] = namesFor('independent', 3) as [string, string, string];
  const up = new FakeUpstream();
  const a1 = up.answer(s.ttlMs, s.delayMs + 5);
  const b1 = up.answer(s.ttlMs, s.delayMs);
  const a2 = up.answer(3 * s.ttlMs, s.delayMs);
  up.script(one, a1, b1);
  up.script(two, a2, up.failure(s.delayMs));
  up.script(three, up.nxdomain(s.negativeTtlMs, s.delayMs));
  const resolver = newResolver(up, s);
  const [o1, o2] = await settleAll([start(resolver, one), start(resolver, two)]);
  check(
    up.callsFor(one) === 1 && up.callsFor(two) === 1,
    () => `concurrent calls resolve('${one}') and resolve('${two}') made ${calls(up.callsFor(one))} for '${one}' and ` +
      `${calls(up.callsFor(two))} for '${two}'; expected exactly 1 each: only calls for the same name share a lookup`,
  );
  expectAddresses(o1!, a1.addresses, `concurrent with resolve('${two}'), resolve('${one}')`, up);
  expectAddresses(o2!, a2.addresses, `concurrent with resolve('${one}'), resolve('${two}')`, up);
  expectNotFound(await resolveNow(resolver, three), three, `resolve('${three}'), a name that does not exist`, up);
  expectAddresses(await resolveNow(resolver, one), a1.addresses, `resolve('${one}') right after an NXDOMAIN answer for '${three}'`, up);

  await waitUntil(virtualNow() + s.ttlMs + 1);
  const r1 = await resolveNow(resolver, one);
  const r2 = await resolveNow(resolver, two);
  expectAddresses(r1, b1.addresses, `resolve('${one}') once its answer expired (ttlMs = ${s.ttlMs})`, up);
  check(
    up.callsFor(two) === 1,
    () => `resolve('${two}'), whose answer has ttlMs = ${3 * s.ttlMs}, asked the upstream again ${s.ttlMs + 1} ms later, ` +
      `when the answer of '${one}' (ttlMs = ${s.ttlMs}) expired; expected the cached answer: each name expires on its own`,
  );
  expectAddresses(r2, a2.addresses, `resolve('${two}') while its own answer is still valid`, up);
});

// ---- Model-based property: random sequences of lookups and waits, against a model of the cache. ----

type StepReply = 'answer' | 'nxdomain' | 'fail' | 'hang';

type Step =
  | { kind: 'resolve'; name: number; spelling: number; reply: StepReply; ttlMs: number }
  | { kind: 'wait'; ms: number };

const MODEL_NAMES = ['api.example.com', 'db.example.com'];

/** A spelling of a name: bit i of `spelling` puts letter i in upper case. */
function spell(name: string, spelling: number): string {
  return [...name].map((ch, i) => ((spelling >> i % 16) & 1 ? ch.toUpperCase() : ch)).join('');
}

function describeStep(step: Step): string {
  if (step.kind === 'wait') return `wait ${step.ms} ms`;
  const name = spell(MODEL_NAMES[step.name]!, step.spelling);
  const reply = step.reply === 'answer' ? `answers (ttlMs = ${step.ttlMs})`
    : step.reply === 'nxdomain' ? `answers NXDOMAIN (ttlMs = ${step.ttlMs})`
    : step.reply === 'fail' ? 'fails' : 'never answers';
  return `resolve('${name}'), the upstream ${reply} if asked`;
}

interface ModelSettings {
  upstreamTimeoutMs: number;
  staleGraceMs: number;
}

const modelSettingsArb: fc.Arbitrary<ModelSettings> = fc.record({
  upstreamTimeoutMs: fc.integer({ min: 5, max: 20 }).map((n) => 10 * n),
  staleGraceMs: fc.integer({ min: 5, max: 60 }).map((n) => 10 * n),
});

// Times stay multiples of 10 ms (waits, timeouts, answers in 0 ms) while TTLs end in 5, so no check
// falls exactly on an expiry or on the end of a grace period.
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant<'resolve'>('resolve'),
      name: fc.integer({ min: 0, max: MODEL_NAMES.length - 1 }),
      spelling: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
      reply: fc.constantFrom<StepReply>('answer', 'answer', 'nxdomain', 'fail', 'hang'),
      ttlMs: fc.integer({ min: 1, max: 40 }).map((n) => 10 * n + 5),
    }),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 60 }).map<Step>((n) => ({ kind: 'wait', ms: 10 * n })) },
);

interface ModelEntry {
  /** The cached answer, valid until expiresAt and kept after it. */
  current?: { kind: 'found'; addresses: string[]; expiresAt: number } | { kind: 'not-found'; expiresAt: number };
  /** The last positive answer, when a negative one came after it (serving it then is left open). */
  olderFound?: { addresses: string[]; expiresAt: number };
}

/** Whether stale addresses must, may or must not be served for a failure noticed between `from` and `to`. */
function staleRule(entry: ModelEntry, from: number, to: number, graceMs: number): { addresses: string[]; rule: 'must' | 'may' } | undefined {
  const found = entry.current?.kind === 'found' ? entry.current : entry.olderFound;
  if (found === undefined) return undefined;
  const inGraceAt = (t: number) => t - found.expiresAt < graceMs;
  if (!inGraceAt(from)) return undefined;
  const certain = entry.current?.kind === 'found' && inGraceAt(to);
  return { addresses: found.addresses, rule: certain ? 'must' : 'may' };
}

async function runScenario(settings: ModelSettings, steps: Step[]): Promise<void> {
  const up = new FakeUpstream();
  const resolver = newResolver(up, settings);
  const model = new Map<number, ModelEntry>();
  const start0 = virtualNow();
  const now = () => virtualNow() - start0;
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'wait') {
      await advance(step.ms);
      continue;
    }
    const name = MODEL_NAMES[step.name]!;
    const spelling = spell(name, step.spelling);
    const entry = model.get(step.name) ?? {};
    model.set(step.name, entry);
    const reply: Reply = step.reply === 'answer' ? up.answer(step.ttlMs, 0)
      : step.reply === 'nxdomain' ? up.nxdomain(step.ttlMs, 0)
      : step.reply === 'fail' ? up.failure(0)
      : { kind: 'hang' };
    up.script(name, reply);
    const t = now();
    const where = `at step ${index + 1} (${describeStep(step)}, ${t} ms in)`;
    const before = up.count();
    const o = await resolveNow(resolver, spelling);
    const asked = up.count() - before;
    const current = entry.current;
    if (current !== undefined && t < current.expiresAt) {
      const what = current.kind === 'found' ? `answer ${list(current.addresses)}` : 'NXDOMAIN answer';
      check(
        asked === 0,
        () => `${where}, resolve asked the upstream although the cached ${what} was valid for ${current.expiresAt - t} ms more; expected the cached answer`,
      );
      if (current.kind === 'found') expectAddresses(o, current.addresses, where, up, ' (the cached answer)');
      else expectNotFound(o, name, where, up, ' (the cached negative answer)');
      continue;
    }
    check(
      asked === 1,
      () => asked === 0
        ? `${where}, resolve did not ask the upstream and ${describeOutcome(o, up)}; expected an upstream call: ` +
          (current === undefined ? 'nothing was cached for this name' : `its cached answer had expired ${t - current.expiresAt} ms before`)
        : `${where}, resolve made ${asked} upstream calls; expected exactly 1`,
    );
    if (reply.kind === 'answer') {
      expectAddresses(o, reply.addresses, where, up, " (the upstream's answer)");
      entry.current = { kind: 'found', addresses: reply.addresses, expiresAt: t + reply.ttlMs };
      delete entry.olderFound;
    } else if (reply.kind === 'nxdomain') {
      expectNotFound(o, name, where, up, ': the upstream answered NXDOMAIN, an answer, not a failure');
      if (entry.current?.kind === 'found') entry.olderFound = { addresses: entry.current.addresses, expiresAt: entry.current.expiresAt };
      entry.current = { kind: 'not-found', expiresAt: t + reply.ttlMs };
    } else {
      const failedAt = reply.kind === 'hang' ? t + settings.upstreamTimeoutMs : t;
      const stale = staleRule(entry, t, failedAt, settings.staleGraceMs);
      const servedStale = stale !== undefined && o.status === 'fulfilled' && sameAddresses(o.value, stale.addresses);
      const failedRight = o.status === 'rejected' && (reply.kind === 'fail' ? o.reason === reply.error : isTimeoutError(o.reason));
      const failure = reply.kind === 'fail' ? "the upstream's error itself" : 'a timeout error';
      if (stale?.rule === 'must') {
        check(servedStale, () => `${where}, it ${describeOutcome(o, up)}; expected the stale addresses ${list(stale.addresses)} (${settingsText(settings)})`);
      } else if (stale?.rule === 'may') {
        check(servedStale || failedRight, () => `${where}, it ${describeOutcome(o, up)}; expected the stale addresses ${list(stale.addresses)} or ${failure}`);
      } else {
        check(failedRight, () => `${where}, it ${describeOutcome(o, up)}; expected it to reject with ${failure}, no stale answer being within staleGraceMs (${settingsText(settings)})`);
      }
    }
  }
}

test('behaves like a model of the cache over random sequences of lookups and waits', async () => {
  useVirtualTime();
  await holds(
    fc.asyncProperty(modelSettingsArb, fc.array(stepArb, { minLength: 1, maxLength: 25 }), (s, steps) => runScenario(s, steps)),
    {
      numRuns: 60,
      describe: ([s, steps]) => `${settingsText(s)}; steps: ${steps.map(describeStep).join('; ')}`,
    },
  );
});
