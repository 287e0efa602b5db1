import { test } from 'vitest';
import {
  advance,
  check,
  describeThrown,
  fail,
  flushMicrotasks,
  pendingTimers,
  settle,
  show,
  streamFor,
  useVirtualTime,
  virtualNow,
  stacklessError,
} from 'learn-ds/harness';
import { Hedger } from 'learn-ds/subject/hedged-requests';

type HedgerInstance = InstanceType<typeof Hedger>;

interface Options {
  percentile: number;
  window: number;
  initialDelayMs: number;
  maxHedgeRatio: number;
}

// ---------------------------------------------------------------------------------------------
// A scripted backend: each call of `send` follows a plan (fulfil or reject after some virtual
// time, or hang until aborted), records when it was made, and watches its signal. An aborted call
// stops its timer and rejects with the signal's reason, as fetch does.
// ---------------------------------------------------------------------------------------------

type Plan = { kind: 'fulfil' | 'reject'; afterMs: number } | { kind: 'hang' };

const fulfil = (afterMs: number): Plan => ({ kind: 'fulfil', afterMs });
const reject = (afterMs: number): Plan => ({ kind: 'reject', afterMs });
const hang: Plan = { kind: 'hang' };

interface SendCall {
  /** The request it belongs to, numbered from 1. */
  request: number;
  replica: unknown;
  signal: unknown;
  /** Virtual ms after its request started. */
  atMs: number;
  value: object;
  error: Error;
}

function name(replica: unknown): string {
  return replica === 0 ? 'the primary' : replica === 1 ? 'the hedge' : `the call to replica ${show(replica)}`;
}

class Backend {
  readonly calls: SendCall[] = [];
  /** The same calls by request, in order: a request's calls without a pass over every call so far. */
  readonly #byRequest = new Map<number, SendCall[]>();
  /** Timers of the script itself (not the learner's), still scheduled. */
  readonly timers = new Set<ReturnType<typeof setTimeout>>();
  requests = 0;
  requestStart = 0;

  constructor(readonly plan: (request: number, replica: 0 | 1) => Plan) {}

  readonly send = (replica: 0 | 1, signal: AbortSignal): Promise<unknown> => {
    const request = this.requests;
    const call: SendCall = {
      request,
      replica,
      signal,
      atMs: virtualNow() - this.requestStart,
      value: { replica, request },
      error: stacklessError(`replica ${String(replica)} failed request ${request}`),
    };
    this.calls.push(call);
    const ofRequest = this.#byRequest.get(request);
    if (ofRequest) ofRequest.push(call);
    else this.#byRequest.set(request, [call]);
    const plan = this.plan(request, replica === 1 ? 1 : 0);
    return new Promise((resolve, rejectCall) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const watched = signal instanceof AbortSignal ? signal : undefined;
      const onAbort = (): void => {
        if (timer !== undefined) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        rejectCall(watched!.reason);
      };
      if (watched?.aborted) return onAbort();
      watched?.addEventListener('abort', onAbort, { once: true });
      if (plan.kind === 'hang') return;
      timer = setTimeout(() => {
        this.timers.delete(timer!);
        watched?.removeEventListener('abort', onAbort);
        if (plan.kind === 'fulfil') resolve(call.value);
        else rejectCall(call.error);
      }, plan.afterMs);
      this.timers.add(timer);
    });
  };

  /** The calls made for request `n`, in order. */
  callsOf(n: number): SendCall[] {
    return [...(this.#byRequest.get(n) ?? [])];
  }

  /** Timers scheduled that are not the script's: the learner's. */
  learnerTimers(): number {
    return pendingTimers() - this.timers.size;
  }
}

type Outcome =
  | { kind: 'pending' }
  | { kind: 'fulfilled'; value: unknown; atMs: number }
  | { kind: 'rejected'; reason: unknown; atMs: number };

/** One call to `request`, observed from the outside. */
class Req {
  readonly n: number;
  readonly startMs: number;
  readonly promise: Promise<unknown>;
  outcome: Outcome = { kind: 'pending' };

  constructor(readonly backend: Backend, hedger: HedgerInstance) {
    this.n = ++backend.requests;
    this.startMs = backend.requestStart = virtualNow();
    let returned: unknown;
    try {
      returned = hedger.request(backend.send);
    } catch (error) {
      fail(`request() threw ${describeThrown(error)} synchronously; expected it to return a promise`);
    }
    if (typeof (returned as { then?: unknown } | null)?.then !== 'function') fail(`request() returned ${show(returned)}; expected a promise`);
    this.promise = returned as Promise<unknown>;
    this.promise.then(
      (value) => { this.outcome = { kind: 'fulfilled', value, atMs: this.elapsed() }; },
      (reason: unknown) => { this.outcome = { kind: 'rejected', reason, atMs: this.elapsed() }; },
    );
  }

  elapsed(): number {
    return virtualNow() - this.startMs;
  }

  calls(): SendCall[] {
    return this.backend.callsOf(this.n);
  }

  get primary(): SendCall | undefined {
    return this.calls().find((c) => c.replica === 0);
  }

  get hedge(): SendCall | undefined {
    return this.calls().find((c) => c.replica === 1);
  }

  /** "had resolved with the hedge's value at 130 ms", "was still pending". */
  describe(): string {
    const o = this.outcome;
    if (o.kind === 'pending') return 'was still pending';
    const whose = (pick: (c: SendCall) => unknown) => {
      const c = this.calls().find((call) => pick(call) === (o.kind === 'fulfilled' ? o.value : o.reason));
      return c ? `${name(c.replica)}'s ${o.kind === 'fulfilled' ? 'value' : 'error'}` : undefined;
    };
    if (o.kind === 'fulfilled') return `had resolved with ${whose((c) => c.value) ?? show(o.value)} at ${o.atMs} ms`;
    return `had rejected with ${whose((c) => c.error) ?? describeThrown(o.reason)} at ${o.atMs} ms`;
  }

  /** Runs virtual time until the request settles, or fails if it never does. */
  async finish(what: string): Promise<void> {
    const s = await settle(this.promise, 1_000_000);
    if (s.status === 'hung') {
      const calls = this.calls().map((c) => `${name(c.replica)} at ${c.atMs} ms`).join(', ');
      fail(`${what}, request ${this.n} never settled (calls made: ${calls || 'none'}); expected it to settle`);
    }
  }
}

function createHedger(o: Options): HedgerInstance {
  try {
    return new Hedger(o);
  } catch (error) {
    fail(`new Hedger(${show(o)}) threw ${describeThrown(error)}; these options are valid`);
  }
}

/** Checks the calls `request` made so far: replica 0 first and at once, at most one of each, with AbortSignals. */
function checkCalls(r: Req, when: string): void {
  const calls = r.calls();
  check(calls.length > 0 && calls[0]!.replica === 0, () =>
    calls.length === 0
      ? `${when}, request ${r.n} had not called send; expected send(0, signal) at once`
      : `${when}, the first call of request ${r.n} was send(${show(calls[0]!.replica)}, …); expected send(0, signal)`);
  check(calls[0]!.atMs === 0, () => `${when}, send(0, …) was called ${calls[0]!.atMs} ms after request(); expected it at once`);
  for (const c of calls) {
    check(c.replica === 0 || c.replica === 1, () => `${when}, send was called with replica ${show(c.replica)}; expected 0 or 1`);
    check(c.signal instanceof AbortSignal, () => `${when}, send(${show(c.replica)}, …) got ${show(c.signal)} as its signal; expected an AbortSignal (from an AbortController)`);
  }
  const count = (replica: 0 | 1) => calls.filter((c) => c.replica === replica).length;
  check(count(0) === 1, () => `${when}, request ${r.n} called send(0, …) ${count(0)} times; expected once`);
  check(count(1) <= 1, () => `${when}, request ${r.n} called send(1, …) ${count(1)} times; expected at most one hedge`);
  if (count(1) === 1) check(calls[0]!.signal !== calls[1]!.signal, () => `${when}, the primary and the hedge got the same signal; give each call its own AbortController, so that aborting the loser leaves the winner alone`);
}

function expectFulfilledWith(r: Req, winner: SendCall, atMs: number, when: string, why: string): void {
  const o = r.outcome;
  check(
    o.kind === 'fulfilled' && o.value === winner.value && o.atMs === atMs,
    () => `${when}, the request ${r.describe()}; expected it to resolve with ${name(winner.replica)}'s value at ${atMs} ms (${why})`,
  );
}

function expectRejectedWith(r: Req, loser: SendCall, atMs: number, when: string, why: string): void {
  const o = r.outcome;
  check(
    o.kind === 'rejected' && o.reason === loser.error && o.atMs === atMs,
    () => `${when}, the request ${r.describe()}; expected it to reject at ${atMs} ms with ${name(loser.replica)}'s error, ` +
      `the very same object (${why})`,
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The value at rank ⌈p × n / 100⌉ of the sorted values (the tests pick p and n where p × n is exact). */
function nearestRank(values: readonly number[], percentile: number): { value: number; rank: number; sorted: number[] } {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((percentile * sorted.length) / 100);
  return { value: sorted[rank - 1]!, rank, sorted };
}

/** `count` distinct integers in [min, max], in random order. */
function distinct(random: () => number, count: number, min: number, max: number): number[] {
  const seen = new Set<number>();
  while (seen.size < count) seen.add(randomInt(random, min, max));
  return [...seen];
}

/** A hedged request whose primary never answers, to see when the hedge goes: returns its delay, or undefined. */
async function probeDelay(hedger: HedgerInstance, backend: Backend, when: string): Promise<number | undefined> {
  const r = new Req(backend, hedger);
  await flushMicrotasks();
  checkCalls(r, when);
  const s = await settle(r.promise, 100_000);
  if (s.status === 'hung') return undefined;
  checkCalls(r, when);
  return r.hedge?.atMs;
}

/** Sends requests whose primaries fulfil after the given latencies, one after the other. */
async function feed(hedger: HedgerInstance, backend: Backend, latencies: readonly number[], when: string): Promise<void> {
  for (const latency of latencies) {
    const r = new Req(backend, hedger);
    await r.finish(when);
    check(r.outcome.kind === 'fulfilled', () => `${when}, request ${r.n} ${r.describe()}; expected it to resolve (its primary fulfilled after ${latency} ms)`);
  }
}

/** A backend for delay checks: request k's primary fulfils after latencies[k - 1], later ones hang; hedges answer 1 ms after being sent. */
function latencyBackend(latencies: readonly number[]): Backend {
  return new Backend((request, replica) => {
    if (replica === 1) return fulfil(1);
    const latency = latencies[request - 1];
    return latency === undefined ? hang : fulfil(latency);
  });
}

// ---------------------------------------------------------------------------------------------
// The race: when to hedge, who wins, what gets aborted.
// ---------------------------------------------------------------------------------------------

test('a primary that answers before the hedge delay is the only call: no hedge, and its value', async () => {
  useVirtualTime();
  const random = streamFor('fast');
  const o = { percentile: 95, window: 10, initialDelayMs: randomInt(random, 10, 30) * 10, maxHedgeRatio: 1 };
  const latency = randomInt(random, 10, o.initialDelayMs - 10);
  const backend = new Backend((_, replica) => (replica === 0 ? fulfil(latency) : fulfil(5)));
  const r = new Req(backend, createHedger(o));
  await flushMicrotasks();
  checkCalls(r, 'right after request()');
  await r.finish(`with a primary that fulfils after ${latency} ms`);
  const when = `with ${show(o)} and a primary that fulfils after ${latency} ms`;
  check(r.hedge === undefined, () => `${when}, send(1, …) was called ${r.hedge!.atMs} ms after request(); expected no hedge, since the primary answered before the hedge delay (initialDelayMs = ${o.initialDelayMs} ms)`);
  expectFulfilledWith(r, r.primary!, latency, when, 'the first call to fulfil wins');
  await advance(3 * o.initialDelayMs);
  check(r.hedge === undefined, () => `${when}, send(1, …) was called ${r.hedge!.atMs} ms after request(), after the request had resolved at ${latency} ms; once the request has settled, no hedge may be sent`);
});

test('a slow primary gets a hedge to replica 1 exactly when the hedge delay has passed', async () => {
  useVirtualTime();
  const random = streamFor('slow');
  const o = { percentile: 95, window: 10, initialDelayMs: randomInt(random, 10, 30) * 10, maxHedgeRatio: 1 };
  const backend = new Backend((_, replica) => (replica === 0 ? fulfil(o.initialDelayMs + 200) : fulfil(50)));
  const r = new Req(backend, createHedger(o));
  await flushMicrotasks();
  checkCalls(r, 'right after request()');
  const when = `with ${show(o)} and a primary still pending`;
  await advance(o.initialDelayMs - 1);
  check(r.hedge === undefined, () => `${when}, send(1, …) was called ${r.hedge!.atMs} ms after request(); expected the hedge only once the hedge delay has passed (initialDelayMs = ${o.initialDelayMs} ms, since no latency is known yet)`);
  await advance(1);
  check(r.hedge !== undefined, () => `${when}, no hedge had been sent ${o.initialDelayMs} ms after request(); expected send(1, signal) once the primary has been pending for the hedge delay (initialDelayMs = ${o.initialDelayMs} ms)`);
  checkCalls(r, `${o.initialDelayMs} ms after request()`);
  check(!(r.primary!.signal as AbortSignal).aborted, () => `${when}, the primary's signal was aborted when the hedge was sent; a hedge is a second chance, not a replacement: keep the primary running`);
});

test("when the hedge answers first, the request resolves with its value and the primary's signal is aborted", async () => {
  useVirtualTime();
  const o = { percentile: 95, window: 10, initialDelayMs: 100, maxHedgeRatio: 1 };
  const backend = new Backend((_, replica) => (replica === 0 ? fulfil(400) : fulfil(30)));
  const r = new Req(backend, createHedger(o));
  await r.finish('with a slow primary and a fast hedge');
  checkCalls(r, 'after the request settled');
  const when = `with ${show(o)}, a primary that would fulfil after 400 ms and a hedge that fulfils 30 ms after it is sent`;
  check(r.hedge !== undefined, () => `${when}, no hedge was sent; expected one at 100 ms`);
  expectFulfilledWith(r, r.hedge!, 130, when, 'the first call to fulfil wins');
  check((r.primary!.signal as AbortSignal).aborted, () => `${when}, the hedge fulfilled first at 130 ms, but the primary's signal was not aborted; abort the loser, so that its replica stops working on an answer nobody waits for`);
});

test("when the primary answers first after a hedge was sent, the request resolves with its value and the hedge's signal is aborted", async () => {
  useVirtualTime();
  const o = { percentile: 95, window: 10, initialDelayMs: 100, maxHedgeRatio: 1 };
  const backend = new Backend((_, replica) => (replica === 0 ? fulfil(130) : fulfil(200)));
  const r = new Req(backend, createHedger(o));
  await r.finish('with a primary that fulfils after 130 ms');
  checkCalls(r, 'after the request settled');
  const when = `with ${show(o)}, a primary that fulfils after 130 ms and a hedge that would fulfil 200 ms after it is sent`;
  check(r.hedge !== undefined, () => `${when}, no hedge was sent; expected one at 100 ms`);
  expectFulfilledWith(r, r.primary!, 130, when, 'the first call to fulfil wins');
  check((r.hedge!.signal as AbortSignal).aborted, () => `${when}, the primary fulfilled first at 130 ms, but the hedge's signal was not aborted; abort the loser, so that its replica stops working on an answer nobody waits for`);
});

// ---------------------------------------------------------------------------------------------
// Errors.
// ---------------------------------------------------------------------------------------------

test('a primary that rejects before the hedge delay rejects the request at once with its error, and no hedge is sent', async () => {
  useVirtualTime();
  const random = streamFor('early-error');
  const o = { percentile: 95, window: 10, initialDelayMs: randomInt(random, 10, 30) * 10, maxHedgeRatio: 1 };
  const failsAt = randomInt(random, 5, o.initialDelayMs - 5);
  const backend = new Backend((_, replica) => (replica === 0 ? reject(failsAt) : fulfil(5)));
  const r = new Req(backend, createHedger(o));
  await advance(failsAt);
  const when = `with ${show(o)} and a primary that rejects after ${failsAt} ms`;
  expectRejectedWith(r, r.primary!, failsAt, `${when}, at ${failsAt} ms`, 'hedging is for slowness, retries are for errors: an error before any hedge ends the request');
  await advance(3 * o.initialDelayMs);
  check(r.hedge === undefined, () => `${when}, send(1, …) was called ${r.hedge!.atMs} ms after request(); expected no hedge: hedging is for slowness, retries are for errors`);
});

test("once a hedge was sent, one rejection is not enough: the request resolves with the other call's value", async () => {
  useVirtualTime();
  const o = { percentile: 95, window: 10, initialDelayMs: 100, maxHedgeRatio: 1 };
  const cases = [
    { primary: reject(120), hedge: fulfil(60), winner: 1, atMs: 160, story: 'the primary rejects at 120 ms and the hedge fulfils at 160 ms' },
    { primary: fulfil(180), hedge: reject(10), winner: 0, atMs: 180, story: 'the hedge rejects at 110 ms and the primary fulfils at 180 ms' },
  ];
  for (const c of cases) {
    const backend = new Backend((_, replica) => (replica === 0 ? c.primary : c.hedge));
    const r = new Req(backend, createHedger(o));
    await r.finish(`when ${c.story}`);
    checkCalls(r, 'after the request settled');
    const when = `with ${show(o)}, when ${c.story}`;
    check(r.hedge !== undefined, () => `${when}, no hedge was sent; expected one at 100 ms`);
    const winner = c.winner === 0 ? r.primary! : r.hedge!;
    expectFulfilledWith(r, winner, c.atMs, when, 'once a hedge was sent, the request rejects only when both calls have rejected; until then the other call may still answer');
  }
});

test('once a hedge was sent and both calls reject, the request rejects with the error of the call that rejected last', async () => {
  useVirtualTime();
  const o = { percentile: 95, window: 10, initialDelayMs: 100, maxHedgeRatio: 1 };
  const cases = [
    { primary: reject(120), hedge: reject(50), last: 1, atMs: 150, story: 'the primary rejects at 120 ms and the hedge at 150 ms' },
    { primary: reject(170), hedge: reject(10), last: 0, atMs: 170, story: 'the hedge rejects at 110 ms and the primary at 170 ms' },
  ];
  for (const c of cases) {
    const backend = new Backend((_, replica) => (replica === 0 ? c.primary : c.hedge));
    const r = new Req(backend, createHedger(o));
    await r.finish(`when ${c.story}`);
    checkCalls(r, 'after the request settled');
    const when = `with ${show(o)}, when ${c.story}`;
    check(r.hedge !== undefined, () => `${when}, no hedge was sent; expected one at 100 ms`);
    const last = c.last === 0 ? r.primary! : r.hedge!;
    expectRejectedWith(r, last, c.atMs, when, `once a hedge was sent, the request rejects only when both calls have rejected, with the error of the call that rejected last, ${name(last.replica)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// The hedge delay.
// ---------------------------------------------------------------------------------------------

test('uses initialDelayMs as the hedge delay until `window` latencies are known', async () => {
  useVirtualTime();
  const random = streamFor('initial');
  const window = randomInt(random, 3, 7);
  const o = { percentile: 50, window, initialDelayMs: randomInt(random, 40, 60) * 10, maxHedgeRatio: 1 };
  const latencies = distinct(random, window - 1, 10, 300);
  const backend = latencyBackend(latencies);
  const hedger = createHedger(o);
  await feed(hedger, backend, latencies, `with ${show(o)}`);
  const delay = await probeDelay(hedger, backend, `after ${window - 1} requests`);
  check(
    delay === o.initialDelayMs,
    () => `with ${show(o)}, after ${window - 1} requests that took ${show(latencies)} ms, ` +
      `${delay === undefined ? 'no hedge was sent' : `the next request's hedge was sent after ${delay} ms`}; expected it after initialDelayMs = ${o.initialDelayMs} ms: ` +
      `only ${window - 1} latencies are known, fewer than window = ${window}`,
  );
});

test('the hedge delay is the percentile of the last `window` latencies, by the nearest-rank method', async () => {
  useVirtualTime();
  const random = streamFor('percentile');
  // Pairs where percentile × window is exact in floating point. The last four land exactly on a whole
  // rank, where percentile / 100 × window (7.000000000000001 for the p7 of 100) rounds one rank up.
  const configs: Array<[number, number]> = [[50, 10], [75, 8], [62.5, 8], [100, 5], [25, 4], [90, 7], [99, 12], [87.5, 16], [50, 1],
    [28, 25], [56, 25], [14, 50], [7, 100]];
  for (const [percentile, window] of configs) {
    const o = { percentile, window, initialDelayMs: 5000, maxHedgeRatio: 1 };
    const latencies = distinct(random, window, 5, 400);
    const backend = latencyBackend(latencies);
    const hedger = createHedger(o);
    await feed(hedger, backend, latencies, `with ${show(o)}`);
    const delay = await probeDelay(hedger, backend, `after ${window} requests`);
    const { value, rank, sorted } = nearestRank(latencies, percentile);
    check(
      delay === value,
      () => `with ${show(o)}, after requests that took ${show(latencies)} ms, ` +
        `${delay === undefined ? 'no hedge was sent' : `the next request's hedge was sent after ${delay} ms`}; ` +
        `expected ${value} ms, the p${percentile} of the last ${window} latencies by the nearest-rank method ` +
        `(sorted ascending: ${show(sorted)}; the value at rank ⌈${percentile} × ${window} / 100⌉ = ${rank}, counting from 1, computed exactly)`,
    );
  }
});

test('the window slides: latencies older than the last `window` are forgotten', async () => {
  useVirtualTime();
  const random = streamFor('slides');
  const o = { percentile: 75, window: 4, initialDelayMs: 5000, maxHedgeRatio: 1 };
  const all = distinct(random, 8, 10, 99);
  const old = all.slice(0, 4).map((l) => l + 900);
  const recent = all.slice(4);
  const latencies = [...old, ...recent];
  const backend = latencyBackend(latencies);
  const hedger = createHedger(o);
  await feed(hedger, backend, latencies, `with ${show(o)}`);
  const delay = await probeDelay(hedger, backend, `after ${latencies.length} requests`);
  const { value, sorted } = nearestRank(recent, o.percentile);
  check(
    delay === value,
    () => `with ${show(o)}, after requests that took ${show(latencies)} ms, ` +
      `${delay === undefined ? 'no hedge was sent' : `the next request's hedge was sent after ${delay} ms`}; expected ${value} ms, ` +
      `the p75 of the last 4 latencies only, ${show(sorted)}: older latencies must be forgotten as new ones come in`,
  );
});

test('rejected requests are not recorded as latencies', async () => {
  useVirtualTime();
  const o = { percentile: 100, window: 3, initialDelayMs: 5000, maxHedgeRatio: 1 };
  const backend = new Backend((request, replica) => {
    if (replica === 1) return fulfil(1);
    return request === 1 ? fulfil(120) : request === 2 ? fulfil(80) : request === 3 ? reject(40) : hang;
  });
  const hedger = createHedger(o);
  await feed(hedger, backend, [120, 80], `with ${show(o)}`);
  const failed = new Req(backend, hedger);
  await failed.finish('with a primary that rejects after 40 ms');
  check(failed.outcome.kind === 'rejected', () => `with ${show(o)}, request 3 ${failed.describe()}; expected it to reject (its primary rejected after 40 ms)`);
  const delay = await probeDelay(hedger, backend, 'after 3 requests');
  check(
    delay === o.initialDelayMs,
    () => `with ${show(o)}, after requests that fulfilled after 120 and 80 ms and one that rejected after 40 ms, ` +
      `${delay === undefined ? 'no hedge was sent' : `the next request's hedge was sent after ${delay} ms`}; expected it after initialDelayMs = ${o.initialDelayMs} ms: ` +
      'a rejected request is not recorded, so only 2 latencies are known, fewer than window = 3',
  );
});

test('the latency recorded runs from the call to request to its fulfilment, whichever call won', async () => {
  useVirtualTime();
  const o = { percentile: 100, window: 1, initialDelayMs: 100, maxHedgeRatio: 1 };
  const backend = new Backend((_, replica) => (replica === 1 ? fulfil(30) : hang));
  const hedger = createHedger(o);
  const first = new Req(backend, hedger);
  await first.finish('with a primary that never answers and a hedge that fulfils 30 ms after it is sent');
  check(first.outcome.kind === 'fulfilled' && first.outcome.atMs === 130, () => `with ${show(o)}, a primary that never answers and a hedge that fulfils 30 ms after it is sent, the request ${first.describe()}; expected it to resolve with the hedge's value at 130 ms`);
  const delay = await probeDelay(hedger, backend, 'after 1 request');
  check(
    delay === 130,
    () => `with ${show(o)}, after a request whose hedge (sent at 100 ms) fulfilled at 130 ms, ` +
      `${delay === undefined ? 'no hedge was sent' : `the next request's hedge was sent after ${delay} ms`}; expected 130 ms: ` +
      "a request's latency runs from the call to request to its fulfilment, whichever call won",
  );
});

// ---------------------------------------------------------------------------------------------
// The budget, and the point of it all.
// ---------------------------------------------------------------------------------------------

test('hedges only while hedges ≤ maxHedgeRatio × requests: with every primary slow, exactly the hedges the budget allows', async () => {
  useVirtualTime();
  for (const ratio of [0.5, 0.25, 0, 1]) {
    const o = { percentile: 50, window: 1000, initialDelayMs: 50, maxHedgeRatio: ratio };
    const backend = new Backend((_, replica) => (replica === 0 ? fulfil(200) : fulfil(20)));
    const hedger = createHedger(o);
    let hedges = 0;
    for (let n = 1; n <= 8; n++) {
      const r = new Req(backend, hedger);
      await r.finish(`with ${show(o)}`);
      checkCalls(r, `after request ${n} settled`);
      const allowed = hedges + 1 <= ratio * n;
      const when = `with ${show(o)} and every primary taking 200 ms, request ${n}`;
      if (allowed) {
        check(r.hedge !== undefined, () => `${when} was not hedged; expected a hedge at 50 ms: with it, hedges = ${hedges + 1} ≤ maxHedgeRatio × requests = ${ratio} × ${n} = ${show(ratio * n)}`);
      } else {
        check(r.hedge === undefined, () => `${when} was hedged, making ${plural(hedges + 1, 'hedge')} in ${plural(n, 'request')}: more than maxHedgeRatio × requests = ${ratio} × ${n} = ${show(ratio * n)}; a hedge is sent only if it keeps hedges ≤ maxHedgeRatio × requests`);
      }
      if (r.hedge) hedges++;
    }
  }
});

test('over 1,000 requests with a heavy tail, hedges stay within the budget and the p99 latency drops', async () => {
  useVirtualTime();
  const random = streamFor('tail');
  const total = 1000;
  const o = { percentile: 95, window: 100, initialDelayMs: 10, maxHedgeRatio: 0.1 };
  // Most calls take 5..49 ms; 30 primaries (3%, none in the first 200 requests, while the budget
  // recovers from the short initial delay) and 3% of the hedges take 300..999 ms.
  const slowPrimaries = new Set(distinct(random, 30, 201, total));
  const draw = (slow: boolean) => (slow ? randomInt(random, 300, 999) : randomInt(random, 5, 49));
  const primary = Array.from({ length: total }, (_, i) => draw(slowPrimaries.has(i + 1)));
  const hedge = Array.from({ length: total }, () => draw(random() < 0.03));
  const backend = new Backend((request, replica) => fulfil((replica === 0 ? primary : hedge)[request - 1]!));
  const hedger = createHedger(o);
  const latencies: number[] = [];
  let hedges = 0;
  const withOptions = `with ${show(o)}`;
  for (let n = 1; n <= total; n++) {
    const r = new Req(backend, hedger);
    await r.finish(withOptions);
    if (r.outcome.kind !== 'fulfilled') fail(`with ${show(o)}, request ${n} ${r.describe()}; expected it to resolve (both its calls fulfil)`);
    latencies.push(r.outcome.atMs);
    if (r.hedge) hedges++;
    check(
      hedges <= o.maxHedgeRatio * n,
      () => `with ${show(o)}, after ${plural(n, 'request')}, ${plural(hedges, 'hedge')} had been sent; expected at most maxHedgeRatio × requests = ${show(o.maxHedgeRatio * n)}: ` +
        'the budget caps the extra load hedging adds',
    );
  }
  const without = nearestRank(primary, 99).value;
  const withHedging = nearestRank(latencies, 99).value;
  check(
    withHedging < without,
    () => `with ${show(o)}, over 1,000 requests where 3% of the calls take 300 ms or more, the p99 latency of your requests was ${withHedging} ms, ` +
      `while the primaries alone would have given ${without} ms (${hedges} hedges sent); hedging should cut the tail: hedge a request as soon as it has waited the p95 of recent latencies, when the budget allows`,
  );
});

// ---------------------------------------------------------------------------------------------
// Timers, and the options.
// ---------------------------------------------------------------------------------------------

test('no timer is left scheduled once a request has settled', async () => {
  useVirtualTime();
  const o = { percentile: 95, window: 10, initialDelayMs: 100, maxHedgeRatio: 1 };
  const cases: Array<{ primary: Plan; hedge: Plan; story: string }> = [
    { primary: fulfil(40), hedge: fulfil(5), story: 'the primary fulfilled after 40 ms, before the hedge delay of 100 ms' },
    { primary: reject(40), hedge: fulfil(5), story: 'the primary rejected after 40 ms, before the hedge delay of 100 ms' },
    { primary: hang, hedge: fulfil(30), story: 'the hedge fulfilled first, at 130 ms' },
    { primary: fulfil(120), hedge: fulfil(100), story: 'the primary fulfilled at 120 ms, after a hedge was sent' },
    { primary: reject(120), hedge: reject(50), story: 'both calls rejected' },
  ];
  for (const c of cases) {
    const backend = new Backend((_, replica) => (replica === 0 ? c.primary : c.hedge));
    const r = new Req(backend, createHedger(o));
    await r.finish(`when ${c.story}`);
    const left = backend.learnerTimers();
    check(
      left === 0,
      () => `with ${show(o)}, when ${c.story}, the request settled yet ${left} timer${left === 1 ? ' was' : 's were'} still scheduled by your code; ` +
        'clear the hedge timer as soon as the request settles',
    );
  }
});

test('invalid options throw a RangeError; edge values are accepted', async () => {
  const valid: Options = { percentile: 95, window: 100, initialDelayMs: 50, maxHedgeRatio: 0.1 };
  const invalid: Array<[Partial<Options>, string]> = [
    [{ percentile: 0 }, 'percentile must be in (0, 100]'],
    [{ percentile: -5 }, 'percentile must be in (0, 100]'],
    [{ percentile: 100.5 }, 'percentile must be in (0, 100]'],
    [{ window: 0 }, 'window must be a positive integer'],
    [{ window: -3 }, 'window must be a positive integer'],
    [{ window: 2.5 }, 'window must be a positive integer'],
    [{ initialDelayMs: -1 }, 'initialDelayMs must not be negative'],
    [{ maxHedgeRatio: -0.1 }, 'maxHedgeRatio must be in [0, 1]'],
    [{ maxHedgeRatio: 1.5 }, 'maxHedgeRatio must be in [0, 1]'],
  ];
  for (const [change, why] of invalid) {
    const o = { ...valid, ...change };
    let thrown: unknown;
    let threw = false;
    try {
      new Hedger(o);
    } catch (error) {
      threw = true;
      thrown = error;
    }
    check(threw && thrown instanceof RangeError, () => `new Hedger(${show(o)}) ${threw ? `threw ${describeThrown(thrown)}` : 'did not throw'}; expected a RangeError (${why})`);
  }
  for (const change of [{ percentile: 100 }, { percentile: 0.5 }, { window: 1 }, { initialDelayMs: 0 }, { maxHedgeRatio: 0 }, { maxHedgeRatio: 1 }]) {
    createHedger({ ...valid, ...change });
  }
});
