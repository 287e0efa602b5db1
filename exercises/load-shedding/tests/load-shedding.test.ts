import { test, vi } from 'vitest';
import {
  advance,
  check,
  describeThrown,
  fail,
  flushMicrotasks,
  show,
  streamFor,
  useVirtualTime,
  virtualNow,
} from 'learn-ds/harness';
import type { Response, ShedderOptions } from 'learn-ds/subject/load-shedding';
import { LoadShedder } from 'learn-ds/subject/load-shedding';

type Shedder = InstanceType<typeof LoadShedder>;

function describeOptions(o: ShedderOptions): string {
  return `concurrency = ${o.concurrency}, maxQueueWaitMs = ${show(o.maxQueueWaitMs)}, retryAfterSeconds = ${o.retryAfterSeconds}`;
}

/** Per-test options drawn from the suite's seed: concurrency 1..4, retryAfterSeconds 1..30. */
function optionsFor(label: string, maxQueueWaitMs = 1000): ShedderOptions {
  const random = streamFor(label);
  return {
    concurrency: 1 + Math.floor(random() * 4),
    maxQueueWaitMs,
    retryAfterSeconds: 1 + Math.floor(random() * 30),
  };
}

/** An integer in [min, max] from a test's stream. */
function pick(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function createShedder(o: ShedderOptions): Shedder {
  try {
    return new LoadShedder(o);
  } catch (error) {
    fail(`new LoadShedder({ ${describeOptions(o).replaceAll(' =', ':')} }) threw ${describeThrown(error)}; these options are valid`);
  }
}

/** Reads a counter, turning a throwing getter into a learner's message. */
function counter(shedder: Shedder, name: 'inFlight' | 'queued'): unknown {
  try {
    return shedder[name];
  } catch (error) {
    fail(`reading \`${name}\` threw ${describeThrown(error)}`);
  }
}

type Outcome =
  | { kind: 'pending' }
  | { kind: 'fulfilled'; value: unknown; atMs: number }
  | { kind: 'rejected'; reason: unknown; atMs: number }
  /** handle() itself threw instead of returning a promise. */
  | { kind: 'threw'; error: unknown };

/** One call to `handle`, with a work the test controls, observed from the outside. */
class Req {
  workCalls = 0;
  startedAtMs: number | undefined;
  outcome: Outcome = { kind: 'pending' };
  readonly madeAtMs: number;
  readonly response: Response;
  readonly error: unknown;
  #settleWork: ((ok: boolean) => void) | undefined;

  /** `behaviour` 'hold' keeps the work pending until `finishWork`; 'throw' makes it throw synchronously. */
  constructor(
    readonly scene: Scene,
    readonly n: number,
    behaviour: 'hold' | 'throw',
    /** What the work fails with, when given (even undefined); by default a fresh Error. */
    ...error: [unknown?]
  ) {
    this.madeAtMs = scene.now();
    this.response = { status: 200, headers: { 'content-type': 'text/plain' }, body: `the answer to request ${n}` };
    this.error = error.length > 0 ? error[0] : new Error(`the work of request ${n} failed`);
    const work = (): Promise<Response> => {
      this.workCalls++;
      this.startedAtMs = scene.now();
      scene.started.push(this);
      if (behaviour === 'throw') throw this.error;
      return new Promise<Response>((resolve, reject) => {
        this.#settleWork = (ok) => (ok ? resolve(this.response) : reject(this.error));
      });
    };
    let returned: unknown;
    try {
      returned = scene.shedder.handle(work);
    } catch (error) {
      this.outcome = { kind: 'threw', error };
      return;
    }
    if (typeof (returned as { then?: unknown } | null)?.then !== 'function') {
      fail(`handle() returned ${show(returned)}; expected a promise`);
    }
    (returned as Promise<unknown>).then(
      (value) => { this.outcome = { kind: 'fulfilled', value, atMs: scene.now() }; },
      (reason: unknown) => { this.outcome = { kind: 'rejected', reason, atMs: scene.now() }; },
    );
  }

  get label(): string {
    return `request ${this.n}`;
  }

  /** Settles the held work (if it was started). */
  finishWork(ok: boolean): void {
    this.#settleWork?.(ok);
    this.#settleWork = undefined;
  }

  /** Pending, its work not called: waiting for a slot. */
  get waiting(): boolean {
    return this.outcome.kind === 'pending' && this.workCalls === 0;
  }

  /** What this request looks like now, for messages: "was still waiting", "was answered 503". */
  describe(): string {
    const o = this.outcome;
    switch (o.kind) {
      case 'threw':
        return `made handle() throw ${describeThrown(o.error)} synchronously`;
      case 'pending':
        return this.workCalls === 0 ? 'was waiting for a slot (its work not called)' : 'was running (its work had been called)';
      case 'fulfilled': {
        if (o.value === this.response) return "had been answered with its work's response";
        const status = (o.value as { status?: unknown } | null)?.status;
        return status === 503 ? 'had been answered 503 (shed)' : `had been answered ${show(o.value)}`;
      }
      case 'rejected':
        return o.reason === this.error ? "had rejected with its work's own error" : `had rejected with ${describeThrown(o.reason)}`;
    }
  }
}

/** A shedder, the requests made to it, and what their works did. */
class Scene {
  readonly shedder: Shedder;
  readonly requests: Req[] = [];
  /** Every request whose work was called, in the order the works were called. */
  readonly started: Req[] = [];
  readonly #base = virtualNow();

  constructor(readonly options: ShedderOptions) {
    this.shedder = createShedder(options);
  }

  now(): number {
    return virtualNow() - this.#base;
  }

  /** Makes a request and lets every promise callback run. */
  async request(behaviour: 'hold' | 'throw' = 'hold', ...error: [unknown?]): Promise<Req> {
    const r = new Req(this, this.requests.length + 1, behaviour, ...error);
    this.requests.push(r);
    await flushMicrotasks();
    return r;
  }

  /** Settles a running request's work; returns the requests whose work started as a result. */
  async finish(r: Req, ok = true): Promise<Req[]> {
    const before = this.started.length;
    r.finishWork(ok);
    await flushMicrotasks();
    return this.started.slice(before);
  }

  /** Requests running now (their work called, not settled), oldest first. */
  running(): Req[] {
    return this.requests.filter((r) => r.workCalls > 0 && r.outcome.kind === 'pending');
  }

  /** Makes requests until every slot is busy, expecting each to start at once. */
  async fill(context: string): Promise<Req[]> {
    const made: Req[] = [];
    for (let busy = this.running().length; busy < this.options.concurrency; busy++) {
      const r = await this.request();
      expectStarted(r, `${context}, with ${plural(busy, 'work')} running`, `fewer than concurrency = ${this.options.concurrency} works were running`);
      made.push(r);
    }
    return made;
  }

  /** Runs one request alone for `durationMs`: the shedder's first (or next) service time. */
  async serveOne(durationMs: number, context: string): Promise<void> {
    const r = await this.request();
    expectStarted(r, context, 'no work was running');
    await advance(durationMs);
    await this.finish(r, true);
    expectAnsweredByWork(r, `${context}, after its work fulfilled`);
  }

  counters(inFlight: number, queued: number, when: string): void {
    const f = counter(this.shedder, 'inFlight');
    const q = counter(this.shedder, 'queued');
    check(
      f === inFlight && q === queued,
      () => `${when}, \`inFlight\` read ${show(f)} and \`queued\` read ${show(q)}; expected inFlight = ${inFlight} and queued = ${queued} ` +
        '(inFlight counts the works running, queued the requests waiting for a slot; a shed request counts in neither)',
    );
  }
}

function expectStarted(r: Req, when: string, why: string): void {
  check(r.workCalls === 1 && r.outcome.kind === 'pending', () => `${when}, ${r.label} ${r.describe()}; expected its work to start at once (${why})`);
}

function expectWaiting(r: Req, when: string, why: string): void {
  check(r.waiting, () => `${when}, ${r.label} ${r.describe()}; expected it to wait in the queue (${why})`);
}

function expectAnsweredByWork(r: Req, when: string): void {
  const o = r.outcome;
  check(
    o.kind === 'fulfilled' && o.value === r.response,
    () => `${when}, ${r.label} ${r.describe()}; expected handle() to resolve with the very response its work returned`,
  );
}

function shedResponse(o: ShedderOptions): string {
  return `{ status: 503, headers: { 'retry-after': '${o.retryAfterSeconds}' } }`;
}

/** A request that must have been shed: answered 503 with the right Retry-After, its work never called. */
function expectShed(r: Req, o: ShedderOptions, when: string, why: string, queued?: () => unknown): void {
  const expected = shedResponse(o);
  const s = o.retryAfterSeconds;
  check(
    r.workCalls === 0,
    () => `${when}, the work of ${r.label} was called; expected it to be shed without running its work (${why})`,
  );
  const out = r.outcome;
  if (out.kind === 'pending') {
    const q = queued ? ` (\`queued\` read ${show(queued())})` : '';
    fail(`${when}, ${r.label} was still waiting for an answer${q}; expected it to be answered at once with ${expected} (${why})`);
  }
  if (out.kind === 'threw' || out.kind === 'rejected') {
    const what = out.kind === 'threw' ? `handle() threw ${describeThrown(out.error)}` : `handle() rejected with ${describeThrown(out.reason)}`;
    fail(
      `${when}, ${what} for ${r.label}; a shed request gets a response, not an error: ` +
        `expected handle() to resolve with ${expected} (${why})`,
    );
  }
  const value = out.value as { status?: unknown; headers?: unknown } | null;
  check(
    typeof value === 'object' && value !== null && value.status === 503,
    () => `${when}, ${r.label} was answered ${show(value)}; expected ${expected} (${why})`,
  );
  const headers = value.headers as Record<string, unknown> | null | undefined;
  check(
    typeof headers === 'object' && headers !== null,
    () => `${when}, ${r.label} was answered with headers ${show(headers)}; expected headers { 'retry-after': '${s}' }`,
  );
  const h = headers['retry-after'];
  if (h === undefined) {
    const other = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after');
    fail(
      `${when}, the 503 for ${r.label} had no 'retry-after' header (headers: ${show(headers)}); expected 'retry-after': '${s}' ` +
        `(retryAfterSeconds = ${s})` + (other ? `; header names are lower-case here, as in Node: write 'retry-after', not '${other}'` : ''),
    );
  }
  check(
    h !== String(s * 1000) && h !== s * 1000,
    () => `${when}, the 503 for ${r.label} had 'retry-after': ${show(h)}; expected '${s}': Retry-After is in seconds, not milliseconds (retryAfterSeconds = ${s})`,
  );
  check(
    h === String(s),
    () => `${when}, the 503 for ${r.label} had 'retry-after': ${show(h)}; expected '${s}', retryAfterSeconds as a string (header values are strings)`,
  );
}

/** A number for a message: whole, or with at most two decimals. */
function ms(value: number): string {
  return `${Number(value.toFixed(2))} ms`;
}

function predictedText(ahead: number, meanMs: number, c: number): string {
  return `(queued + 1) × mean service time ÷ concurrency = (${ahead} + 1) × ${ms(meanMs)} ÷ ${c} = ${ms(((ahead + 1) * meanMs) / c)}`;
}

/**
 * With every slot busy and the mean service time known, queues requests one by one: exactly
 * `admit` of them must wait, and the next must be shed at once.
 */
async function expectAdmits(scene: Scene, admit: number, meanMs: number, context: string): Promise<void> {
  const o = scene.options;
  const c = o.concurrency;
  const M = o.maxQueueWaitMs;
  for (let k = 0; k < admit; k++) {
    const r = await scene.request();
    check(
      r.waiting,
      () => `${context}, with ${plural(c, 'work')} running and ${plural(k, 'request')} waiting, ${r.label} ${r.describe()}; ` +
        `expected it to wait in the queue: its predicted wait, ${predictedText(k, meanMs, c)}, is within maxQueueWaitMs = ${ms(M)} ` +
        "(shed by the predicted wait, not by the queue's length)",
    );
  }
  const over = await scene.request();
  expectShed(
    over,
    o,
    `${context}, with ${plural(c, 'work')} running and ${plural(admit, 'request')} waiting`,
    `its predicted wait, ${predictedText(admit, meanMs, c)}, exceeds maxQueueWaitMs = ${ms(M)}`,
    () => counter(scene.shedder, 'queued'),
  );
  scene.counters(c, admit, `${context}, after ${over.label} was shed`);
}

// ---------------------------------------------------------------------------------------------
// Running and queueing.
// ---------------------------------------------------------------------------------------------

test("a request that finds a free slot runs its work at once and gets the work's response, the very same object", async () => {
  useVirtualTime();
  const o = optionsFor('free-slot');
  const scene = new Scene(o);
  scene.counters(0, 0, 'on a new shedder');
  const running = await scene.fill('on a new shedder');
  scene.counters(o.concurrency, 0, `after ${plural(o.concurrency, 'request')} that started (${describeOptions(o)})`);
  for (const [i, r] of running.entries()) {
    await advance(10);
    await scene.finish(r, true);
    expectAnsweredByWork(r, `after the work of ${r.label} fulfilled`);
    scene.counters(o.concurrency - i - 1, 0, `after the work of ${r.label} fulfilled`);
  }
});

test('with every slot busy, requests wait their turn and start first in, first out as works finish', async () => {
  useVirtualTime();
  const random = streamFor('fifo-count');
  const o = optionsFor('fifo');
  const scene = new Scene(o);
  await scene.fill('on a new shedder');
  const count = pick(random, 3, 5);
  const waiting: Req[] = [];
  for (let i = 0; i < count; i++) {
    const r = await scene.request();
    expectWaiting(
      r,
      `on a new shedder with every slot busy (${describeOptions(o)})`,
      'no work has finished yet, so there is no service time to predict a wait from: a request that finds no free slot is queued',
    );
    waiting.push(r);
  }
  scene.counters(o.concurrency, count, `after ${plural(count, 'request')} were queued`);
  for (const [i, expected] of waiting.entries()) {
    const done = scene.running()[0]!;
    const started = await scene.finish(done, true);
    const when = `after the work of ${done.label} fulfilled`;
    check(
      started.length === 1 && started[0] === expected,
      () => `${when}, ${started.length === 0 ? 'no waiting request started' : `the work of ${started.map((r) => r.label).join(', ')} started`}; ` +
        `expected ${expected.label}, the oldest waiting request (waiting requests start first in, first out; ` +
        `${waiting.slice(i).map((r) => r.label).join(', ')} were waiting, in that order)`,
    );
    expectAnsweredByWork(done, when);
    scene.counters(o.concurrency, count - i - 1, `${when} and ${expected.label} took its slot`);
  }
});

// ---------------------------------------------------------------------------------------------
// Shedding at arrival, by the predicted wait.
// ---------------------------------------------------------------------------------------------

test('a request whose predicted wait, (queued + 1) × mean service time ÷ concurrency, exceeds maxQueueWaitMs is answered 503 at once, without queueing or running its work', async () => {
  useVirtualTime();
  const random = streamFor('predicted-numbers');
  const serviceMs = 10 * pick(random, 10, 30);
  const admit = pick(random, 2, 5);
  const base = optionsFor('predicted');
  const o = { ...base, maxQueueWaitMs: Math.round(((admit + 0.5) * serviceMs) / base.concurrency) };
  const scene = new Scene(o);
  const context = `after one work that ran ${serviceMs} ms (so the mean service time is ${serviceMs} ms; ${describeOptions(o)})`;
  await scene.serveOne(serviceMs, 'on a new shedder');
  await scene.fill(context);
  await expectAdmits(scene, admit, serviceMs, context);
  // Shed again, and again at once: a shed request does not change the queue.
  const again = await scene.request();
  expectShed(again, o, `${context}, right after a request was shed`, `its predicted wait, ${predictedText(admit, serviceMs, o.concurrency)}, still exceeds maxQueueWaitMs`);
  scene.counters(o.concurrency, admit, `${context}, after two requests were shed`);
});

test('a predicted wait exactly equal to maxQueueWaitMs is admitted (only more than it is shed), fractional times included', async () => {
  // Every way of writing the formula is exact here: 30 / 4 = 7.5 and 3 × 7.5 = 22.5; 100 / 4 = 25.
  for (const [serviceMs, maxQueueWaitMs] of [[30, 22.5], [100, 75]] as const) {
    useVirtualTime();
    const o = { concurrency: 4, maxQueueWaitMs, retryAfterSeconds: 7 };
    const scene = new Scene(o);
    const context = `after one work that ran ${serviceMs} ms (so the mean service time is ${serviceMs} ms; ${describeOptions(o)})`;
    await scene.serveOne(serviceMs, 'on a new shedder');
    await scene.fill(context);
    await expectAdmits(scene, 3, serviceMs, `${context}; the third request's predicted wait is exactly maxQueueWaitMs, which is not more than it`);
  }
});

test("with quick works a long queue is still admitted: shedding follows the predicted wait, not the queue's length", async () => {
  useVirtualTime();
  const random = streamFor('long-queue-numbers');
  const admit = pick(random, 40, 60);
  const base = optionsFor('long-queue');
  const concurrency = 2 + (base.concurrency % 3); // 2..4: the division by concurrency matters
  // A multiple of 2 × concurrency, so that maxQueueWaitMs is a whole number of ms.
  const serviceMs = 2 * concurrency * pick(random, 1, 2);
  const o = { ...base, concurrency, maxQueueWaitMs: ((admit + 0.5) * serviceMs) / concurrency };
  const scene = new Scene(o);
  const context = `after one work that ran ${serviceMs} ms (so the mean service time is ${serviceMs} ms; ${describeOptions(o)})`;
  await scene.serveOne(serviceMs, 'on a new shedder');
  await scene.fill(context);
  await expectAdmits(scene, admit, serviceMs, context);
});

test('the mean service time is a moving average: the first work\'s service time, then 0.8 × mean + 0.2 × each new one', async () => {
  useVirtualTime();
  const random = streamFor('average-numbers');
  const first = 10 * pick(random, 5, 15);
  const second = first + 10 * pick(random, 20, 40);
  const mean = 0.8 * first + 0.2 * second;
  const admit = pick(random, 2, 5);
  const base = optionsFor('average');
  const o = { ...base, maxQueueWaitMs: Math.round(((admit + 0.5) * mean) / base.concurrency) };
  const scene = new Scene(o);
  await scene.serveOne(first, 'on a new shedder');
  await scene.serveOne(second, `after a first work that ran ${first} ms`);
  const context =
    `after two works that ran ${first} ms then ${second} ms (so the mean service time is ` +
    `0.8 × ${first} + 0.2 × ${second} = ${ms(mean)}; ${describeOptions(o)})`;
  await scene.fill(context);
  await expectAdmits(scene, admit, mean, context);
});

test('a service time runs from the moment a work starts to the moment it settles: the time its request waited in the queue does not count', async () => {
  useVirtualTime();
  const random = streamFor('service-time-numbers');
  const firstMs = 10 * pick(random, 20, 40);
  const secondMs = 10 * pick(random, 2, 6);
  const mean = 0.8 * firstMs + 0.2 * secondMs;
  const admit = pick(random, 4, 7);
  const o = { ...optionsFor('service-time'), concurrency: 1, maxQueueWaitMs: Math.round((admit + 0.5) * mean) };
  const scene = new Scene(o);
  const first = await scene.request();
  expectStarted(first, 'on a new shedder', 'no work was running');
  const second = await scene.request();
  expectWaiting(second, `on a new shedder with its only slot busy (${describeOptions(o)})`, 'no work has finished yet, so there is no service time to predict a wait from');
  await advance(firstMs);
  const started = await scene.finish(first, true);
  check(
    started.includes(second),
    () => `after the work of ${first.label} fulfilled at ${firstMs} ms, ${second.label} ${second.describe()}; expected it to start in the freed slot ` +
      `(it had waited ${firstMs} ms, within maxQueueWaitMs = ${ms(o.maxQueueWaitMs)})`,
  );
  await advance(secondMs);
  await scene.finish(second, true);
  expectAnsweredByWork(second, `after the work of ${second.label} fulfilled`);
  const context =
    `after ${first.label} ran ${firstMs} ms, then ${second.label} waited ${firstMs} ms in the queue and ran ${secondMs} ms ` +
    `(so the mean service time is 0.8 × ${firstMs} + 0.2 × ${secondMs} = ${ms(mean)}: the wait is not service time; ${describeOptions(o)})`;
  await scene.fill(context);
  await expectAdmits(scene, admit, mean, context);
});

// ---------------------------------------------------------------------------------------------
// Dropping requests that waited too long.
// ---------------------------------------------------------------------------------------------

test('a queued request that has waited more than maxQueueWaitMs when a slot frees for it is answered 503 and its work never runs (its caller has given up)', async () => {
  useVirtualTime();
  const random = streamFor('stale-numbers');
  const M = 100 * pick(random, 3, 8);
  const o = optionsFor('stale', M);
  const c = o.concurrency;
  const scene = new Scene(o);
  const busy = await scene.fill('on a new shedder');
  const stale1 = await scene.request();
  await advance(10);
  const stale2 = await scene.request();
  await advance(M / 2 - 10);
  const fresh1 = await scene.request();
  await advance(M / 2 + 20);
  const fresh2 = await scene.request();
  for (const r of [stale1, stale2, fresh1, fresh2]) {
    // A request that has waited more than maxQueueWaitMs may already have been answered 503 (by a timer).
    if (r === stale1 || r === stale2) {
      if (r.workCalls === 0 && r.outcome.kind === 'fulfilled' && (r.outcome.value as { status?: unknown } | null)?.status === 503) continue;
    }
    expectWaiting(r, `on a new shedder with every slot busy (${describeOptions(o)})`, 'no work has finished yet, so there is no service time to predict a wait from');
  }
  const at = scene.now();
  const started = await scene.finish(busy[0]!, true);
  const when = `at ${at} ms, when the work of ${busy[0]!.label} fulfilled and freed a slot`;
  for (const r of [stale1, stale2]) {
    const waited = at - r.madeAtMs;
    expectShed(
      r,
      o,
      `${when} (${r.label}, made at ${r.madeAtMs} ms, had waited ${waited} ms)`,
      `it had waited more than maxQueueWaitMs = ${M} ms when its turn came: its caller has given up, running its work would be wasted`,
    );
  }
  check(
    started.length === 1 && started[0] === fresh1,
    () => `${when}, ${started.length === 0 ? 'no waiting request started' : `the work of ${started.map((r) => r.label).join(', ')} started`}; ` +
      `expected ${fresh1.label} (made at ${fresh1.madeAtMs} ms, it had waited ${at - fresh1.madeAtMs} ms, within maxQueueWaitMs = ${M} ms) ` +
      `to take the slot, after ${stale1.label} and ${stale2.label}, which waited too long, were answered 503`,
  );
  expectWaiting(fresh2, when, `one slot freed and ${fresh1.label}, older, took it`);
  scene.counters(c, 1, `${when}, ${stale1.label} and ${stale2.label} were dropped and ${fresh1.label} took the slot`);
  // Everything else finishes: the dropped requests' works are never called, later either.
  while (scene.running().length > 0) {
    await advance(10);
    await scene.finish(scene.running()[0]!, true);
  }
  for (const r of [stale1, stale2]) {
    check(r.workCalls === 0, () => `${r.label} was answered 503 because it had waited too long, yet its work was called later, at ${r.startedAtMs ?? '?'} ms; a dropped request's work must never run`);
  }
  expectAnsweredByWork(fresh2, 'once every work had finished');
  scene.counters(0, 0, 'once every work had finished');
});

test('a queued request that has waited exactly maxQueueWaitMs when a slot frees still runs; one that waited longer (250 ms > 249.5 ms) is dropped', async () => {
  for (const [M, firstRuns] of [[250, true], [249.5, false]] as const) {
    useVirtualTime();
    const o = { concurrency: 1, maxQueueWaitMs: M, retryAfterSeconds: 3 };
    const scene = new Scene(o);
    const [busy] = await scene.fill('on a new shedder');
    const first = await scene.request();
    await advance(1);
    const second = await scene.request();
    await advance(249);
    const started = await scene.finish(busy!, true);
    const when = `(${describeOptions(o)}) at 250 ms, when the only running work fulfilled and freed the slot`;
    if (firstRuns) {
      check(
        started[0] === first,
        () => `${when}, ${first.label}, which had waited exactly 250 ms = maxQueueWaitMs, ${first.describe()}; ` +
          'expected its work to start: only a request that has waited more than maxQueueWaitMs is dropped',
      );
    } else {
      expectShed(first, o, `${when} (${first.label} had waited 250 ms)`, `it had waited more than maxQueueWaitMs = ${M} ms when its turn came`);
      check(
        started[0] === second,
        () => `${when}, ${second.label}, which had waited 249 ms, within maxQueueWaitMs = ${M} ms, ${second.describe()}; expected its work to take the slot`,
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The 503 itself, failures, counters, options.
// ---------------------------------------------------------------------------------------------

test("a shed request gets a response, not an error: { status: 503, headers: { 'retry-after': String(retryAfterSeconds) } }", async () => {
  useVirtualTime();
  const o = optionsFor('response', 0);
  const scene = new Scene(o);
  await scene.fill('on a new shedder');
  const dropped = await scene.request();
  expectWaiting(dropped, `on a new shedder with every slot busy (${describeOptions(o)})`, 'no work has finished yet, so there is no service time to predict a wait from');
  await advance(10);
  await scene.finish(scene.running()[0]!, true);
  expectShed(dropped, o, `when a slot freed 10 ms after ${dropped.label} was queued`, 'it had waited more than maxQueueWaitMs = 0 ms');
  await scene.fill('after a slot freed');
  const refused = await scene.request();
  expectShed(
    refused,
    o,
    `with every slot busy and a mean service time of 10 ms (${describeOptions(o)})`,
    `its predicted wait, ${predictedText(0, 10, o.concurrency)}, exceeds maxQueueWaitMs = 0 ms`,
    () => counter(scene.shedder, 'queued'),
  );
});

test('a work that rejects or throws frees its slot, and handle() rejects with that very error', async () => {
  useVirtualTime();
  const o = optionsFor('failures');
  const scene = new Scene(o);
  const rejecter = await scene.request();
  await scene.finish(rejecter, false);
  check(
    rejecter.outcome.kind === 'rejected' && rejecter.outcome.reason === rejecter.error,
    () => `after the work of ${rejecter.label} rejected, ${rejecter.label} ${rejecter.describe()}; expected handle() to reject with the very error the work rejected with (do not wrap it or replace it)`,
  );
  scene.counters(0, 0, `after the work of ${rejecter.label} rejected (${describeOptions(o)}): a work that rejects frees its slot, just like one that fulfils`);
  const thrower = await scene.request('throw');
  const when = `after the work of ${thrower.label} threw synchronously (${describeOptions(o)})`;
  check(thrower.outcome.kind !== 'threw', () => `${when}, handle() threw the error synchronously; expected it to return a promise that rejects with that error`);
  check(
    thrower.outcome.kind === 'rejected' && thrower.outcome.reason === thrower.error,
    () => `${when}, ${thrower.label} ${thrower.describe()}; expected handle() to reject with the very error the work threw (do not wrap it or replace it)`,
  );
  scene.counters(0, 0, `${when}: a work that throws synchronously frees its slot (call it inside try/catch)`);
  const running = await scene.fill(when);
  const queuedThrower = await scene.request('throw');
  const last = await scene.request();
  const started = await scene.finish(running[0]!, false);
  const when2 = `after the work of ${running[0]!.label} rejected, the waiting ${queuedThrower.label} took its slot and its work threw synchronously`;
  check(
    running[0]!.outcome.kind === 'rejected' && running[0]!.outcome.reason === running[0]!.error,
    () => `after the work of ${running[0]!.label} rejected, ${running[0]!.label} ${running[0]!.describe()}; expected handle() to reject with the very error the work rejected with`,
  );
  check(
    started.length === 2 && started[0] === queuedThrower && started[1] === last,
    () => `after the work of ${running[0]!.label} rejected, ${started.length === 0 ? 'no waiting request started' : `the work of ${started.map((r) => r.label).join(', ')} started`}; ` +
      `expected ${queuedThrower.label}, whose work throws synchronously, then at once ${last.label}: a work that rejects or throws frees its slot`,
  );
  check(
    queuedThrower.outcome.kind === 'rejected' && queuedThrower.outcome.reason === queuedThrower.error,
    () => `${when2}, ${queuedThrower.label} ${queuedThrower.describe()}; expected handle() to reject with the very error the work threw`,
  );
  scene.counters(o.concurrency, 0, `${when2}, and ${last.label} took the slot it freed`);
});

class WorkError extends Error {
  override name = 'WorkError';
}

test("handle() passes on a work's failure of any kind as it is: an Error subclass, a string, a plain object, undefined", async () => {
  useVirtualTime();
  const o = optionsFor('failure-kinds');
  const scene = new Scene(o);
  const kinds: Array<[string, unknown]> = [['an Error subclass', new WorkError('search index down')], ['a string', 'search index down'], ['a plain object', { code: 'EIDX' }], ['undefined', undefined]];
  for (const [kind, error] of kinds) {
    for (const behaviour of ['hold', 'throw'] as const) {
      const r = await scene.request(behaviour, error);
      if (behaviour === 'hold') await scene.finish(r, false);
      const how = behaviour === 'hold' ? 'rejected' : 'threw synchronously';
      check(
        r.outcome.kind === 'rejected' && r.outcome.reason === error,
        () => `the work of ${r.label} ${how} with ${kind} (${describeThrown(error)}), and ${r.label} ${r.describe()}; expected handle() to reject with that very value, as it is`,
      );
      scene.counters(0, 0, `after the work of ${r.label} ${how} with ${kind}`);
    }
  }
});

test('inFlight and queued count the works running and the requests waiting; a shed request counts in neither', async () => {
  useVirtualTime();
  const random = streamFor('counters-numbers');
  const serviceMs = 10 * pick(random, 5, 20);
  const admit = pick(random, 2, 4);
  const base = optionsFor('counters');
  const o = { ...base, maxQueueWaitMs: Math.round(((admit + 0.5) * serviceMs) / base.concurrency) };
  const c = o.concurrency;
  const scene = new Scene(o);
  scene.counters(0, 0, `on a new shedder (${describeOptions(o)})`);
  await scene.serveOne(serviceMs, 'on a new shedder');
  scene.counters(0, 0, `after one work ran ${serviceMs} ms and finished`);
  await scene.fill(`after one work ran ${serviceMs} ms`);
  scene.counters(c, 0, `after ${plural(c, 'request')} that started`);
  for (let k = 1; k <= admit; k++) await scene.request();
  scene.counters(c, admit, `after ${plural(c, 'request')} that started and ${admit} that wait`);
  for (let k = 1; k <= 3; k++) {
    const shed = await scene.request();
    expectShed(shed, o, `with ${plural(c, 'work')} running and ${plural(admit, 'request')} waiting`, `its predicted wait, ${predictedText(admit, serviceMs, c)}, exceeds maxQueueWaitMs = ${ms(o.maxQueueWaitMs)}`);
    scene.counters(c, admit, `after ${plural(k, 'request')} ${k === 1 ? 'was' : 'were'} shed`);
  }
  for (let left = admit; left > 0; left--) {
    await scene.finish(scene.running()[0]!, true);
    scene.counters(c, left - 1, `after a running work finished and the oldest waiting request took its slot`);
  }
  for (let left = c; left > 0; left--) {
    await scene.finish(scene.running()[0]!, true);
    scene.counters(left - 1, 0, 'after a running work finished with nothing waiting');
  }
});

test('the constructor throws a RangeError for invalid options, and accepts maxQueueWaitMs = 0 and retryAfterSeconds = 0', () => {
  const valid: ShedderOptions = { concurrency: 2, maxQueueWaitMs: 500, retryAfterSeconds: 5 };
  const bad: Array<[string, ShedderOptions]> = [
    ['concurrency: 0', { ...valid, concurrency: 0 }],
    ['concurrency: 1.5', { ...valid, concurrency: 1.5 }],
    ['concurrency: NaN', { ...valid, concurrency: Number.NaN }],
    ['maxQueueWaitMs: -1', { ...valid, maxQueueWaitMs: -1 }],
    ['maxQueueWaitMs: NaN', { ...valid, maxQueueWaitMs: Number.NaN }],
    ['maxQueueWaitMs: Infinity', { ...valid, maxQueueWaitMs: Number.POSITIVE_INFINITY }],
    ['retryAfterSeconds: -1', { ...valid, retryAfterSeconds: -1 }],
    ['retryAfterSeconds: 2.5', { ...valid, retryAfterSeconds: 2.5 }],
    ['retryAfterSeconds: NaN', { ...valid, retryAfterSeconds: Number.NaN }],
  ];
  for (const [what, options] of bad) {
    let thrown: unknown;
    try {
      new LoadShedder(options);
    } catch (error) {
      thrown = error;
    }
    check(
      thrown instanceof RangeError,
      () => `new LoadShedder({ ..., ${what} }) ${thrown === undefined ? 'did not throw' : `threw ${describeThrown(thrown)}`}; expected a RangeError ` +
        '(concurrency must be an integer >= 1, maxQueueWaitMs a finite number >= 0, retryAfterSeconds an integer >= 0)',
    );
  }
  for (const options of [{ ...valid, maxQueueWaitMs: 0 }, { ...valid, retryAfterSeconds: 0 }, { ...valid, concurrency: 1, maxQueueWaitMs: 0.5 }]) {
    createShedder(options);
  }
});

// ---------------------------------------------------------------------------------------------
// The scenario: an open-loop load at twice the capacity.
// ---------------------------------------------------------------------------------------------

function seconds(valueMs: number): string {
  return valueMs >= 1000 ? `${Number((valueMs / 1000).toFixed(2))} s` : `${Math.round(valueMs)} ms`;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Sim {
  madeAtMs: number;
  serviceMs: number;
  response: Response;
  workCalls: number;
  startedAtMs?: number;
  outcome: { kind: 'pending' } | { kind: 'fulfilled'; value: unknown; atMs: number } | { kind: 'rejected'; reason: unknown; atMs: number } | { kind: 'threw'; error: unknown };
}

test('under an open-loop load of twice its capacity for 60 s, admitted requests are answered within maxQueueWaitMs + the longest service time, goodput stays at 90 % of capacity or more, and no shed request\'s work runs', async () => {
  useVirtualTime();
  const random = streamFor('overload');
  const concurrency = 2 + Math.floor(random() * 2);
  // Service times of 200-600 ms against a queue wait of 4 s: the same proportions as 50-150 ms
  // against 1 s, with a quarter of the requests (about 600-900) to simulate in the 60 s.
  const minServiceMs = 200;
  const maxServiceMs = 600;
  const meanServiceMs = (minServiceMs + maxServiceMs) / 2;
  const loadMs = 60_000;
  const o: ShedderOptions = { concurrency, maxQueueWaitMs: 4000, retryAfterSeconds: 1 + Math.floor(random() * 10) };
  const capacityPerSecond = (concurrency * 1000) / meanServiceMs;
  const meanGapMs = 1000 / (2 * capacityPerSecond);
  // Open loop: arrivals follow a Poisson process whatever the server does (clients do not wait for answers).
  const sims: Sim[] = [];
  for (let t = -Math.log(1 - random()) * meanGapMs; t < loadMs; t += -Math.log(1 - random()) * meanGapMs) {
    sims.push({
      madeAtMs: Math.floor(t),
      serviceMs: pick(random, minServiceMs, maxServiceMs),
      response: { status: 200, headers: {}, body: sims.length },
      workCalls: 0,
      outcome: { kind: 'pending' },
    });
  }
  const shedder = createShedder(o);
  const base = virtualNow();
  const now = () => virtualNow() - base;
  let settled = 0;
  let peakQueued = 0;
  const make = (s: Sim): void => {
    const work = (): Promise<Response> => {
      s.workCalls++;
      s.startedAtMs = now();
      return new Promise((resolve) => setTimeout(() => resolve(s.response), s.serviceMs));
    };
    let returned: unknown;
    try {
      returned = shedder.handle(work);
    } catch (error) {
      s.outcome = { kind: 'threw', error };
      settled++;
      return;
    }
    if (typeof (returned as { then?: unknown } | null)?.then !== 'function') fail(`handle() returned ${show(returned)}; expected a promise`);
    (returned as Promise<unknown>).then(
      (value) => { s.outcome = { kind: 'fulfilled', value, atMs: now() }; settled++; },
      (reason: unknown) => { s.outcome = { kind: 'rejected', reason, atMs: now() }; settled++; },
    );
    const q = shedder.queued;
    if (typeof q === 'number' && q > peakQueued) peakQueued = q;
  };
  let next = 0;
  const arrive = (): void => {
    while (next < sims.length && sims[next]!.madeAtMs <= now()) make(sims[next++]!);
    if (next < sims.length) setTimeout(arrive, sims[next]!.madeAtMs - now());
  };
  arrive();
  const limitMs = 5 * loadMs;
  for (;;) {
    await flushMicrotasks();
    if (next === sims.length && settled === sims.length) break;
    if (vi.getTimerCount() === 0 || now() > limitMs) {
      const left = sims.length - settled;
      fail(
        `${left} of ${sims.length} requests were never answered (still pending at ${seconds(now())}, ${seconds(now() - loadMs)} after the load stopped); ` +
          'expected every request to get its work\'s response or a 503',
      );
    }
    vi.advanceTimersToNextTimer();
  }

  const broken = sims.find((s) => s.outcome.kind !== 'fulfilled');
  if (broken) {
    const o2 = broken.outcome;
    fail(
      `a request made at ${broken.madeAtMs} ms ${o2.kind === 'threw' ? `made handle() throw ${describeThrown(o2.error)}` : o2.kind === 'rejected' ? `was rejected with ${describeThrown(o2.reason)}` : 'was never answered'}; ` +
        'expected every request to get its work\'s response or a 503 response (a shed request gets a response, not an error)',
    );
  }
  const answered = (s: Sim) => s.outcome as { kind: 'fulfilled'; value: unknown; atMs: number };
  const admitted = sims.filter((s) => answered(s).value === s.response);
  const shed = sims.filter((s) => answered(s).value !== s.response);
  const notShed = shed.find((s) => (answered(s).value as { status?: unknown } | null)?.status !== 503);
  check(!notShed, () => `a request made at ${notShed!.madeAtMs} ms was answered ${show(answered(notShed!).value)}; expected its work's response or a 503`);
  const ranAnyway = shed.filter((s) => s.workCalls > 0);
  check(
    ranAnyway.length === 0,
    () => `${ranAnyway.length} of the ${shed.length} requests answered 503 had their work run anyway (the first made at ${ranAnyway[0]!.madeAtMs} ms, ` +
      `its work started at ${ranAnyway[0]!.startedAtMs} ms); expected a shed request's work never to run: it would be wasted`,
  );

  const latencies = admitted.map((s) => answered(s).atMs - s.madeAtMs).sort((a, b) => a - b);
  const bound = o.maxQueueWaitMs + maxServiceMs;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const max = latencies[latencies.length - 1] ?? 0;
  const atOnce = shed.filter((s) => answered(s).atMs === s.madeAtMs).length;
  const busyMs = admitted.filter((s) => answered(s).atMs - s.madeAtMs <= bound).reduce((sum, s) => sum + s.serviceMs, 0);
  // Capacity over the whole run: the 60 s of load, and the drain after it.
  const spanMs = Math.max(loadMs, ...admitted.map((s) => answered(s).atMs));
  const goodput = busyMs / (concurrency * spanMs);
  const figures =
    `${sims.length} requests in ${seconds(loadMs)} (${Math.round(sims.length / (loadMs / 1000))} per second; capacity ${capacityPerSecond} per second: ` +
    `concurrency = ${concurrency}, service times ${minServiceMs}-${maxServiceMs} ms, maxQueueWaitMs = ${o.maxQueueWaitMs}): ` +
    `${admitted.length} admitted, ${shed.length} answered 503 (${atOnce} at once on arrival, ${shed.length - atOnce} dropped from the queue); ` +
    `latency of admitted work p50 ${seconds(p50)}, p99 ${seconds(p99)}, max ${seconds(max)}; ` +
    `goodput ${Math.round(goodput * 100)} % of capacity; at most ${peakQueued} requests queued at once`;
  check(
    p99 <= bound,
    () => `p99 latency of admitted work was ${seconds(p99)}; expected ≤ ${seconds(bound)} under 2× load (maxQueueWaitMs = ${o.maxQueueWaitMs} ms + the longest service time, ${maxServiceMs} ms): ` +
      'shed what would wait too long, and drop what already has',
    figures,
  );
  check(
    goodput >= 0.9,
    () => `goodput was ${Math.round(goodput * 100)} % of capacity; expected at least 90 % under 2× load: the server should stay busy with work it answers in time ` +
      `(${admitted.length} of ${sims.length} requests admitted; is it shedding too much?)`,
    figures,
  );
  check(
    atOnce >= shed.length / 2,
    () => `only ${atOnce} of the ${shed.length} requests answered 503 were answered at once, on arrival; expected at least half: ` +
      'shed at arrival a request whose predicted wait exceeds maxQueueWaitMs, rather than queueing it and dropping it later',
    figures,
  );
});
