import fc from 'fast-check';
import { test, vi } from 'vitest';
import {
  advance,
  canReadTimers,
  check,
  describeThrown,
  fail,
  flushMicrotasks,
  holds,
  nextTimerAt,
  pendingTimers,
  streamFor,
  useVirtualTime,
  virtualNow,
  show,
  stacklessError,
} from 'learn-ds/harness';
import { Bulkhead, BulkheadFullError } from 'learn-ds/subject/bulkhead';

type BulkheadInstance = InstanceType<typeof Bulkhead>;

interface Options {
  maxConcurrent: number;
  maxQueue: number;
  queueTimeoutMs: number;
}

function describeOptions(o: Options): string {
  return `maxConcurrent = ${o.maxConcurrent}, maxQueue = ${o.maxQueue}, queueTimeoutMs = ${o.queueTimeoutMs}`;
}

/**
 * Per-test options drawn from the suite's seed: maxConcurrent 1..4, maxQueue 2..4 (so the order of
 * waiting calls matters), queueTimeoutMs 200..1000 in steps of 100.
 */
function optionsFor(label: string): Options {
  const random = streamFor(label);
  return {
    maxConcurrent: 1 + Math.floor(random() * 4),
    maxQueue: 2 + Math.floor(random() * 3),
    queueTimeoutMs: 100 * (2 + Math.floor(random() * 9)),
  };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function isBulkheadFull(reason: unknown, kind?: string): boolean {
  return reason instanceof BulkheadFullError && (kind === undefined || (reason as { reason?: unknown }).reason === kind);
}

function createBulkhead(o: Options): BulkheadInstance {
  try {
    return new Bulkhead(o);
  } catch (error) {
    fail(`new Bulkhead({ ${describeOptions(o).replaceAll(' =', ':')} }) threw ${describeThrown(error)}; these options are valid`);
  }
}

/** Reads a counter, turning a throwing getter into a learner's message. */
function counter(bulkhead: BulkheadInstance, name: 'active' | 'queued'): unknown {
  try {
    return bulkhead[name];
  } catch (error) {
    fail(`reading \`${name}\` threw ${describeThrown(error)}`);
  }
}

function expectCounters(bulkhead: BulkheadInstance, active: number, queued: number, when: string): void {
  const a = counter(bulkhead, 'active');
  const q = counter(bulkhead, 'queued');
  check(
    a === active && q === queued,
    () => `${when}, \`active\` read ${show(a)} and \`queued\` read ${show(q)}; expected active = ${active} and queued = ${queued}`,
  );
}

type Outcome =
  | { kind: 'pending' }
  | { kind: 'fulfilled'; value: unknown; atMs: number }
  | { kind: 'rejected'; reason: unknown; atMs: number }
  /** run() itself threw instead of returning a promise. */
  | { kind: 'threw'; error: unknown };

/** One call to `run`, with a task the test controls, observed from the outside. */
class Call {
  taskCalls = 0;
  startedAtMs: number | undefined;
  outcome: Outcome = { kind: 'pending' };
  readonly value: object;
  readonly error: unknown;
  #settleTask: ((ok: boolean) => void) | undefined;

  /** `behaviour` 'hold' keeps the task pending until `finish`; 'throw' makes it throw synchronously. */
  constructor(
    readonly scene: Scene,
    readonly n: number,
    readonly behaviour: 'hold' | 'throw',
    /** What the task fails with, when given (even undefined); by default a fresh Error. */
    ...error: [unknown?]
  ) {
    this.value = { value: `of call ${n}` };
    this.error = error.length > 0 ? error[0] : new Error(`the task of call ${n} failed`);
    const task = (): Promise<unknown> => {
      this.taskCalls++;
      this.startedAtMs = scene.now();
      scene.taskStarted(this);
      if (behaviour === 'throw') {
        scene.inFlight--;
        throw this.error;
      }
      return new Promise((resolve, reject) => {
        this.#settleTask = (ok) => {
          scene.inFlight--;
          if (ok) resolve(this.value);
          else reject(this.error);
        };
      });
    };
    let returned: unknown;
    try {
      returned = scene.bulkhead.run(task);
    } catch (error) {
      this.outcome = { kind: 'threw', error };
      return;
    }
    if (typeof (returned as { then?: unknown } | null)?.then !== 'function') {
      fail(`run() returned ${show(returned)}; expected a promise`);
    }
    (returned as Promise<unknown>).then(
      (value) => { this.outcome = { kind: 'fulfilled', value, atMs: scene.now() }; },
      (reason: unknown) => { this.outcome = { kind: 'rejected', reason, atMs: scene.now() }; },
    );
  }

  get madeLabel(): string {
    return `call ${this.n}`;
  }

  /** Settles the held task (if it was started). */
  settleTask(ok: boolean): void {
    this.#settleTask?.(ok);
    this.#settleTask = undefined;
  }

  get waiting(): boolean {
    return this.outcome.kind === 'pending' && this.taskCalls === 0;
  }

  /** What this call looks like now, for messages: "was still waiting", "had rejected with ...". */
  describe(): string {
    const o = this.outcome;
    switch (o.kind) {
      case 'threw':
        return `made run() throw ${describeThrown(o.error)} synchronously`;
      case 'pending':
        return this.taskCalls === 0 ? 'was still waiting (its task not called)' : 'was running (its task had been called)';
      case 'fulfilled':
        return o.value === this.value ? "had fulfilled with its task's value" : `had fulfilled with ${show(o.value)}`;
      case 'rejected':
        if (o.reason === this.error) return "had rejected with its task's own error";
        if (isBulkheadFull(o.reason)) return `had rejected with BulkheadFullError reason ${show((o.reason as { reason?: unknown }).reason)}`;
        return `had rejected with ${describeThrown(o.reason)}`;
    }
  }
}

/** A bulkhead, the calls made to it, and what their tasks did. */
class Scene {
  readonly bulkhead: BulkheadInstance;
  readonly calls: Call[] = [];
  /** Call numbers, in the order their tasks were called. */
  readonly startOrder: number[] = [];
  inFlight = 0;
  readonly #start = virtualNow();

  constructor(readonly o: Options) {
    this.bulkhead = createBulkhead(o);
  }

  now(): number {
    return virtualNow() - this.#start;
  }

  taskStarted(c: Call): void {
    this.startOrder.push(c.n);
    this.inFlight++;
  }

  /** Calls run() once and lets the bulkhead react (promise callbacks only: no time passes). */
  async call(behaviour: 'hold' | 'throw' = 'hold', ...error: [unknown?]): Promise<Call> {
    const c = new Call(this, this.calls.length + 1, behaviour, ...error);
    this.calls.push(c);
    await flushMicrotasks();
    return c;
  }

  /** Makes `count` calls whose tasks are held. */
  async callMany(count: number): Promise<Call[]> {
    const made: Call[] = [];
    for (let i = 0; i < count; i++) made.push(await this.call());
    return made;
  }

  /** Settles a running task, lets the bulkhead react, and returns the calls whose tasks started meanwhile. */
  async finish(c: Call, ok: boolean): Promise<Call[]> {
    const before = this.startOrder.length;
    c.settleTask(ok);
    await flushMicrotasks();
    return this.startOrder.slice(before).map((n) => this.calls[n - 1]!);
  }

  counters(active: number, queued: number, when: string): void {
    expectCounters(this.bulkhead, active, queued, when);
  }
}

function names(calls: readonly Call[]): string {
  if (calls.length === 0) return 'no call';
  return calls.map((c) => c.madeLabel).join(', ');
}

function expectStarted(c: Call, when: string, why: string): void {
  check(c.outcome.kind !== 'threw', () => `${when}, ${c.madeLabel} ${c.describe()}; run() must return a promise`);
  check(c.taskCalls > 0, () => `${when}, ${c.madeLabel} ${c.describe()}; expected its task to start (${why})`);
  check(c.taskCalls === 1, () => `${when}, the task of ${c.madeLabel} was called ${c.taskCalls} times; expected exactly once`);
}

/** For a call that should still be waiting: what it did instead, and when ("had rejected ... at 600 ms, after waiting only 300 ms"). */
function tooEarly(c: Call, madeAt: number, now: number): string {
  const o = c.outcome;
  const at = o.kind === 'fulfilled' || o.kind === 'rejected' ? o.atMs : c.startedAtMs ?? now;
  return `${c.describe()} at ${at} ms, after waiting only ${at - madeAt} ms`;
}

function expectWaiting(c: Call, when: string, why: string): void {
  check(c.waiting, () => `${when}, ${c.madeLabel} ${c.describe()}; expected it to be waiting in the queue (${why})`);
}

function expectRefused(c: Call, reason: 'queue-full' | 'queue-timeout', when: string, why: string): void {
  check(
    c.taskCalls === 0,
    () => `${when}, the task of ${c.madeLabel} was called; expected the call to reject with BulkheadFullError reason '${reason}' ` +
      `without calling its task (${why})`,
  );
  const o = c.outcome;
  check(
    o.kind === 'rejected' && isBulkheadFull(o.reason, reason),
    () => `${when}, ${c.madeLabel} ${c.describe()}; expected it to reject with BulkheadFullError reason '${reason}' (${why})` +
      (o.kind === 'rejected' && o.reason instanceof Error && !(o.reason instanceof BulkheadFullError)
        ? ': an instance of the exported BulkheadFullError class'
        : ''),
  );
}

/** The call's task ran and `run` settled exactly as the task did: same value, or same error object. */
function expectSettledLikeTask(c: Call, ok: boolean, when: string): void {
  const o = c.outcome;
  if (ok) {
    check(
      o.kind === 'fulfilled' && o.value === c.value,
      () => `${when}, ${c.madeLabel} ${c.describe()}; expected run() to fulfil with the task's value, the same object`,
    );
  } else {
    check(
      o.kind === 'rejected' && o.reason === c.error,
      () => `${when}, ${c.madeLabel} ${c.describe()}; expected run() to reject with the task's own error, ` +
        `${show(c.error)}, the very same object (pass it on as it is: do not wrap it or replace it)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Starting, queueing and refusing.
// ---------------------------------------------------------------------------------------------

test('a call starts its task at once while fewer than maxConcurrent tasks are running', async () => {
  useVirtualTime();
  const o = { ...optionsFor('starts'), maxConcurrent: 2 + Math.floor(streamFor('starts-n')() * 4) };
  const scene = new Scene(o);
  scene.counters(0, 0, 'on a new bulkhead');
  for (let i = 1; i <= o.maxConcurrent; i++) {
    const c = await scene.call();
    expectStarted(c, `with ${plural(i - 1, 'task')} running (${describeOptions(o)})`, `fewer than maxConcurrent = ${o.maxConcurrent} tasks were running`);
    scene.counters(i, 0, `after ${plural(i, 'call')} that each started a task (maxConcurrent = ${o.maxConcurrent})`);
  }
});

test('never runs more than maxConcurrent tasks at once: further calls wait in the queue', async () => {
  useVirtualTime();
  const o = optionsFor('limit');
  const scene = new Scene(o);
  await scene.callMany(o.maxConcurrent);
  for (let k = 1; k <= o.maxQueue; k++) {
    const c = await scene.call();
    check(
      c.taskCalls === 0,
      () => `with ${plural(o.maxConcurrent, 'task')} already running (maxConcurrent = ${o.maxConcurrent}), the task of ${c.madeLabel} was called: ` +
        `${scene.inFlight} tasks were running at once; expected at most maxConcurrent = ${o.maxConcurrent} ` +
        `(${c.madeLabel} should wait in the queue)`,
    );
    expectWaiting(c, `with ${plural(o.maxConcurrent, 'task')} running and ${plural(k - 1, 'call')} waiting (${describeOptions(o)})`, 'every slot is busy and the queue has room');
    scene.counters(o.maxConcurrent, k, `after ${plural(o.maxConcurrent, 'call')} that started and ${k} more (${describeOptions(o)})`);
  }
});

test("a call made when the queue is full rejects at once with BulkheadFullError reason 'queue-full', and its task is never called", async () => {
  useVirtualTime();
  const o = optionsFor('full');
  const scene = new Scene(o);
  const running = await scene.callMany(o.maxConcurrent);
  await scene.callMany(o.maxQueue);
  const full = `with ${plural(o.maxConcurrent, 'task')} running and ${plural(o.maxQueue, 'call')} waiting (${describeOptions(o)})`;
  const why = 'the queue is full';
  const refusedCalls: Call[] = [];
  for (let i = 0; i < 2; i++) {
    const extra = await scene.call();
    expectRefused(extra, 'queue-full', `${full}, right after it was made`, why);
    refusedCalls.push(extra);
  }
  scene.counters(o.maxConcurrent, o.maxQueue, `${full}, after two calls were refused`);
  // One running task finishes: the oldest waiting call starts, and the queue has room for one more.
  await scene.finish(running[0]!, true);
  scene.counters(o.maxConcurrent, o.maxQueue - 1, 'after a running task fulfilled and the oldest waiting call took its slot');
  const fits = await scene.call();
  expectWaiting(fits, 'after a waiting call took a freed slot, leaving room in the queue', 'the queue had room again');
  const refused = await scene.call();
  expectRefused(refused, 'queue-full', `after that, ${full}`, why);
  refusedCalls.push(refused);
  // Let every task run to the end: the refused calls' tasks must never be called.
  for (let round = 0; round < scene.calls.length; round++) {
    for (const c of scene.calls) if (c.taskCalls > 0) await scene.finish(c, true);
  }
  for (const c of refusedCalls) {
    check(c.taskCalls === 0, () => `${c.madeLabel} was refused with 'queue-full', yet its task was called later; the task of a refused call must never be called`);
  }
});

test("with maxQueue = 0 there is no queue: a call beyond maxConcurrent rejects at once with 'queue-full'", async () => {
  useVirtualTime();
  const o = { ...optionsFor('no-queue'), maxQueue: 0 };
  const scene = new Scene(o);
  const running = await scene.callMany(o.maxConcurrent);
  const extra = await scene.call();
  expectRefused(extra, 'queue-full', `with ${plural(o.maxConcurrent, 'task')} running (${describeOptions(o)})`, 'with maxQueue = 0 there is no queue');
  scene.counters(o.maxConcurrent, 0, `after a call was refused (${describeOptions(o)})`);
  await scene.finish(running[0]!, true);
  const next = await scene.call();
  expectStarted(next, 'after a running task fulfilled and freed its slot', `fewer than maxConcurrent = ${o.maxConcurrent} tasks were running`);
});

test('waiting calls start in FIFO order, the oldest first, as running tasks finish', async () => {
  useVirtualTime();
  const o = optionsFor('fifo');
  const scene = new Scene(o);
  await scene.callMany(o.maxConcurrent);
  const waiting = await scene.callMany(o.maxQueue);
  for (const [i, expected] of waiting.entries()) {
    const runningNow = scene.calls.filter((c) => c.taskCalls > 0 && c.outcome.kind === 'pending');
    const done = runningNow[0]!;
    const started = await scene.finish(done, true);
    const when = `after the task of ${done.madeLabel} fulfilled`;
    check(
      started.length === 1 && started[0] === expected,
      () => `${when}, ${started.length === 0 ? 'no waiting call started' : `${names(started)} started`}; expected ${expected.madeLabel}, ` +
        `the oldest waiting call (waiting calls start first in, first out; ${names(waiting.slice(i))} were waiting, in that order)`,
    );
    expectSettledLikeTask(done, true, when);
    scene.counters(o.maxConcurrent, o.maxQueue - i - 1, `${when} and ${expected.madeLabel} took its slot`);
  }
});

// ---------------------------------------------------------------------------------------------
// Queue timeouts.
// ---------------------------------------------------------------------------------------------

test("a waiting call rejects with 'queue-timeout' once it has waited queueTimeoutMs, not before", async () => {
  useVirtualTime();
  const o = optionsFor('timeout');
  const t = o.queueTimeoutMs;
  const scene = new Scene(o);
  await scene.callMany(o.maxConcurrent);
  // Some time passes before the call is made: its wait counts from the call, not from the bulkhead's creation.
  await advance(Math.floor(t / 3));
  const madeAt = scene.now();
  const c = await scene.call();
  expectWaiting(c, `right after ${c.madeLabel} was made with every slot busy`, 'the queue had room');
  await advance(t - 1);
  check(
    c.waiting,
    () => `${c.madeLabel}, made at ${madeAt} ms, ${tooEarly(c, madeAt, scene.now())}; ` +
      `expected it to keep waiting until ${madeAt + t} ms, once it has waited queueTimeoutMs = ${t} ms (counted from its call to run)`,
  );
  scene.counters(o.maxConcurrent, 1, `after ${c.madeLabel} had waited ${t - 1} ms (queueTimeoutMs = ${t})`);
  await advance(2);
  const o2 = c.outcome;
  check(
    !(o2.kind === 'pending' && c.taskCalls === 0),
    () => `${c.madeLabel} was still waiting after ${t + 1} ms in the queue; expected it to reject with BulkheadFullError ` +
      `reason 'queue-timeout' once it had waited queueTimeoutMs = ${t} ms (set a timer for each waiting call)`,
  );
  expectRefused(c, 'queue-timeout', `after waiting ${t + 1} ms`, `queueTimeoutMs = ${t}`);
  scene.counters(o.maxConcurrent, 0, `after ${c.madeLabel} timed out (a timed-out call leaves the queue)`);
});

test("a waiting call rejects with 'queue-timeout' at exactly queueTimeoutMs, not a millisecond later", async () => {
  useVirtualTime();
  const o = optionsFor('timeout-exact');
  const t = o.queueTimeoutMs;
  const scene = new Scene(o);
  await scene.callMany(o.maxConcurrent);
  const c = await scene.call();
  expectWaiting(c, `right after ${c.madeLabel} was made with every slot busy`, 'the queue had room');
  await advance(t);
  expectRefused(c, 'queue-timeout', `at exactly ${t} ms, when it had waited exactly queueTimeoutMs`, `queueTimeoutMs = ${t}: a call that has waited queueTimeoutMs gives up then`);
});

test("a fractional queueTimeoutMs (2.5 ms): still waiting after 2 ms, rejected with 'queue-timeout' by 3 ms", async () => {
  useVirtualTime();
  const o = { ...optionsFor('timeout-fraction'), queueTimeoutMs: 2.5 };
  const scene = new Scene(o);
  await scene.callMany(o.maxConcurrent);
  const c = await scene.call();
  await advance(2);
  expectWaiting(c, `after ${c.madeLabel} had waited 2 ms`, 'queueTimeoutMs = 2.5: it has not waited 2.5 ms yet (do not round queueTimeoutMs down)');
  await advance(1);
  expectRefused(c, 'queue-timeout', 'after waiting 3 ms', 'queueTimeoutMs = 2.5: a timer of 2.5 ms fires at 3 ms, the first whole millisecond past it');
});

test('a timed-out call leaves the queue: its task is never called, and the next waiting call takes the freed slot', async () => {
  useVirtualTime();
  const o = optionsFor('leaves');
  const t = o.queueTimeoutMs;
  const scene = new Scene(o);
  const running = await scene.callMany(o.maxConcurrent);
  const old = await scene.call();
  await advance(t / 2);
  const young = await scene.call();
  await advance(t / 2 + 1);
  expectRefused(old, 'queue-timeout', `after waiting ${t + 1} ms`, `queueTimeoutMs = ${t}`);
  expectWaiting(young, `after waiting ${t / 2 + 1} ms`, `it has not waited queueTimeoutMs = ${t} ms yet`);
  const started = await scene.finish(running[0]!, true);
  check(
    old.taskCalls === 0,
    () => `${old.madeLabel} timed out in the queue at ${t} ms, yet its task was called at ${old.startedAtMs ?? '?'} ms when a slot freed; ` +
      'a timed-out call must leave the queue, and its task must never be called',
  );
  check(
    started.length === 1 && started[0] === young,
    () => `after a running task fulfilled, ${started.length === 0 ? 'no waiting call started' : `${names(started)} started`}; ` +
      `expected ${young.madeLabel}, the only call still waiting`,
  );
  scene.counters(o.maxConcurrent, 0, `after ${young.madeLabel} took the freed slot`);
  await scene.finish(young, true);
  expectSettledLikeTask(young, true, `after the task of ${young.madeLabel} fulfilled`);
});

test("each waiting call's timeout counts from its own call to run, not from when it reached the head of the queue", async () => {
  useVirtualTime();
  const o = optionsFor('own-timeout');
  const t = o.queueTimeoutMs;
  const gap = t / 2;
  const scene = new Scene(o);
  await scene.callMany(o.maxConcurrent);
  const first = await scene.call();
  await advance(gap);
  const second = await scene.call();
  await advance(t - gap + 1);
  expectRefused(first, 'queue-timeout', `after waiting ${t + 1} ms`, `queueTimeoutMs = ${t}`);
  check(
    second.waiting,
    () => `${second.madeLabel}, made at ${gap} ms, ${tooEarly(second, gap, scene.now())}; ` +
      `expected it to keep waiting until ${gap + t} ms (queueTimeoutMs = ${t}, counted from its own call to run)`,
  );
  await advance(gap - 2);
  check(
    second.waiting,
    () => `${second.madeLabel}, made at ${gap} ms, ${tooEarly(second, gap, scene.now())}; ` +
      `expected it to keep waiting until ${gap + t} ms (queueTimeoutMs = ${t}, counted from its own call to run)`,
  );
  await advance(2);
  check(
    !second.waiting,
    () => `${second.madeLabel}, made at ${gap} ms, was still waiting at ${scene.now()} ms, ${t + 1} ms after it was made; ` +
      `expected it to reject with 'queue-timeout' at ${gap + t} ms: each call's wait counts from its own call to run ` +
      `(queueTimeoutMs = ${t}), not from when it reached the head of the queue`,
  );
  expectRefused(second, 'queue-timeout', `after waiting ${t + 1} ms`, `queueTimeoutMs = ${t}`);
  scene.counters(o.maxConcurrent, 0, 'after both waiting calls timed out');
});

// ---------------------------------------------------------------------------------------------
// Freeing slots, passing results through.
// ---------------------------------------------------------------------------------------------

test('a task that rejects frees its slot for the oldest waiting call', async () => {
  useVirtualTime();
  const o = optionsFor('reject-frees');
  const scene = new Scene(o);
  const running = await scene.callMany(o.maxConcurrent);
  const [next, after] = await scene.callMany(2);
  const started = await scene.finish(running[0]!, false);
  const when = `after the task of ${running[0]!.madeLabel} rejected (${describeOptions(o)})`;
  check(
    next!.taskCalls > 0,
    () => `${when}, ${next!.madeLabel} ${next!.describe()}; expected it to start: a task that rejects must free its slot, ` +
      `just like one that fulfils (\`active\` read ${show(counter(scene.bulkhead, 'active'))})`,
  );
  check(started.length === 1, () => `${when}, ${names(started)} started; expected only ${next!.madeLabel}, the oldest waiting call`);
  expectSettledLikeTask(running[0]!, false, when);
  scene.counters(o.maxConcurrent, 1, `${when} and ${next!.madeLabel} took its slot`);
  await scene.finish(next!, false);
  expectStarted(after!, `after the task of ${next!.madeLabel} rejected too`, 'a task that rejects must free its slot');
});

test('a task that throws synchronously frees its slot, and run() rejects with the thrown error', async () => {
  useVirtualTime();
  const o = optionsFor('throw-frees');
  const scene = new Scene(o);
  const thrower = await scene.call('throw');
  const when = `after the task of ${thrower.madeLabel} threw synchronously (${describeOptions(o)})`;
  const active = counter(scene.bulkhead, 'active');
  check(
    active === 0,
    () => `${when}, \`active\` read ${show(active)}; expected 0: a task that throws synchronously must free its slot ` +
      '(call the task inside try/catch, or inside an async function)',
  );
  check(
    thrower.outcome.kind !== 'threw',
    () => `${when}, run() threw the error synchronously; expected it to return a promise that rejects with that error`,
  );
  expectSettledLikeTask(thrower, false, when);
  // Again from the queue: a waiting call whose task throws frees its slot for the next one at once.
  const running = await scene.callMany(o.maxConcurrent);
  const queuedThrower = await scene.call('throw');
  const last = await scene.call();
  const started = await scene.finish(running[0]!, true);
  const when2 = `after a running task fulfilled, the waiting ${queuedThrower.madeLabel} started and its task threw synchronously`;
  check(
    started.length === 2 && started[0] === queuedThrower && started[1] === last,
    () => `after a running task fulfilled, ${names(started)} started; expected ${queuedThrower.madeLabel}, whose task throws ` +
      `synchronously, then at once ${last.madeLabel}: a task that throws synchronously must free its slot`,
  );
  expectSettledLikeTask(queuedThrower, false, when2);
  scene.counters(o.maxConcurrent, 0, `${when2}, and ${last.madeLabel} took the slot`);
});

test("run() settles like its task: with the task's value, or with its error, the very same object", async () => {
  useVirtualTime();
  const o = { ...optionsFor('pass-through'), maxConcurrent: 1, maxQueue: 4 };
  const scene = new Scene(o);
  const first = await scene.call();
  const plainObject = { code: 'E_DOWNSTREAM', retryable: false };
  const rejectsError = await scene.call();
  const rejectsObject = await scene.call('hold', plainObject);
  const fulfils = await scene.call();
  const plan: Array<[Call, boolean]> = [[first, true], [rejectsError, false], [rejectsObject, false], [fulfils, true]];
  for (const [c, ok] of plan) {
    check(
      c.taskCalls === 1,
      () => c.taskCalls === 0
        ? `once every earlier call had settled, ${c.madeLabel} ${c.describe()}; expected it to have started (maxConcurrent = 1: calls run one at a time, the oldest waiting call first)`
        : `the task of ${c.madeLabel} was called ${c.taskCalls} times; expected exactly once`,
    );
    await scene.finish(c, ok);
    const what = c.error === plainObject ? 'a plain object (not an Error)' : 'an Error';
    const how = c === first ? 'started at once' : 'had waited in the queue';
    expectSettledLikeTask(c, ok, `after the task of ${c.madeLabel} (which ${how}) ${ok ? 'fulfilled with an object' : `rejected with ${what}`}`);
  }
});

class PriceError extends Error {
  override name = 'PriceError';
}

test('run() passes on a failure of any kind as it is: an Error subclass, a string, undefined (rejected or thrown)', async () => {
  useVirtualTime();
  const o = { ...optionsFor('failure-kinds'), maxConcurrent: 1, maxQueue: 8 };
  const scene = new Scene(o);
  const kinds: Array<[string, unknown]> = [['an Error subclass', new PriceError('no price for AAPL')], ['a string', 'no price'], ['undefined', undefined]];
  for (const [kind, error] of kinds) {
    for (const behaviour of ['hold', 'throw'] as const) {
      const c = await scene.call(behaviour, error);
      if (behaviour === 'hold') await scene.finish(c, false);
      expectSettledLikeTask(c, false, `after the task of ${c.madeLabel} ${behaviour === 'hold' ? 'rejected' : 'threw synchronously'} with ${kind}`);
      scene.counters(0, 0, `after the task of ${c.madeLabel} failed with ${kind}`);
    }
  }
});

test('active and queued are accurate after every change', async () => {
  useVirtualTime();
  const o = { ...optionsFor('counters'), maxQueue: 2 };
  const m = o.maxConcurrent;
  const t = o.queueTimeoutMs;
  const scene = new Scene(o);
  scene.counters(0, 0, 'on a new bulkhead');
  const running = await scene.callMany(m);
  scene.counters(m, 0, `after ${plural(m, 'call')} that started`);
  const a = await scene.call();
  await advance(t / 2);
  await scene.call();
  scene.counters(m, 2, `after ${plural(m, 'call')} that started and 2 that wait`);
  await scene.call();
  scene.counters(m, 2, 'after a call was refused because the queue was full');
  await scene.finish(running[0]!, false);
  check(a.taskCalls === 1, () => `after a running task rejected, ${a.madeLabel} ${a.describe()}; expected it to start`);
  scene.counters(m, 1, 'after a running task rejected and the oldest waiting call took its slot');
  await advance(t + 1);
  scene.counters(m, 0, 'after the last waiting call timed out');
  for (const [i, c] of scene.calls.filter((c) => c.taskCalls > 0 && c.outcome.kind === 'pending').entries()) {
    await scene.finish(c, i % 2 === 0);
    scene.counters(m - i - 1, 0, `after ${plural(i + 1, 'running task')} settled with nothing waiting`);
  }
});

test("clears a waiting call's timer when it starts: no timer is left pending once everything has settled", async () => {
  useVirtualTime();
  const o = { ...optionsFor('timers'), queueTimeoutMs: 1000 };
  const scene = new Scene(o);
  const running = await scene.callMany(o.maxConcurrent);
  const waiting = await scene.callMany(o.maxQueue);
  const refused = await scene.call();
  expectRefused(refused, 'queue-full', 'with every slot busy and the queue full', 'the queue is full');
  await advance(100);
  for (const c of running) await scene.finish(c, true);
  await advance(100);
  for (const c of waiting) {
    check(c.taskCalls === 1, () => `after every running task fulfilled, ${c.madeLabel} ${c.describe()}; expected it to have started`);
    await scene.finish(c, true);
  }
  for (const c of scene.calls) check(c.outcome.kind !== 'pending', () => `after every task fulfilled, ${c.madeLabel} ${c.describe()}; expected it to have settled`);
  const left = pendingTimers();
  check(
    left === 0,
    () => `every call had settled ${scene.now()} ms in, yet ${plural(left, 'timer')} ${left === 1 ? 'was' : 'were'} still pending; ` +
      `when a waiting call starts, clear its queue-timeout timer (clearTimeout), or it stays scheduled for up to queueTimeoutMs = ${o.queueTimeoutMs} ms`,
  );
  await advance(2 * o.queueTimeoutMs);
  for (const c of waiting) expectSettledLikeTask(c, true, `${2 * o.queueTimeoutMs} ms after the task of ${c.madeLabel} fulfilled`);
});

// ---------------------------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------------------------

function expectRangeError(o: Options, what: string): void {
  const text = `new Bulkhead({ ${describeOptions(o).replaceAll(' =', ':')} })`;
  try {
    new Bulkhead(o);
  } catch (error) {
    if (error instanceof RangeError || (error instanceof Error && error.name === 'RangeError')) return;
    fail(`${text} threw ${describeThrown(error)}; expected a RangeError (${what})`);
  }
  fail(`${text} did not throw; expected a RangeError (${what})`);
}

test('the constructor throws a RangeError for invalid options, and accepts maxQueue = 0', () => {
  useVirtualTime();
  const base: Options = { maxConcurrent: 2, maxQueue: 3, queueTimeoutMs: 500 };
  for (const maxConcurrent of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expectRangeError({ ...base, maxConcurrent }, 'maxConcurrent must be an integer >= 1');
  }
  for (const maxQueue of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expectRangeError({ ...base, maxQueue }, 'maxQueue must be an integer >= 0');
  }
  for (const queueTimeoutMs of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    expectRangeError({ ...base, queueTimeoutMs }, 'queueTimeoutMs must be a finite number >= 0');
  }
  for (const valid of [
    { maxConcurrent: 1, maxQueue: 0, queueTimeoutMs: 0 },
    { maxConcurrent: 3, maxQueue: 10, queueTimeoutMs: 2.5 },
  ]) {
    createBulkhead(valid);
  }
});

// ---------------------------------------------------------------------------------------------
// Random workloads against a model. Time moves on a 5 ms grid: arrivals and task durations are
// multiples of 10 ms and queueTimeoutMs ends in 5, so a timeout never falls at the same moment as
// an arrival or a task's end, and the model never has to guess an order.
// ---------------------------------------------------------------------------------------------

type TaskPlan = { kind: 'fulfil' | 'reject'; durationMs: number } | { kind: 'throw' };
interface Arrival {
  gapMs: number;
  task: TaskPlan;
}
interface Workload {
  options: Options;
  arrivals: Arrival[];
}

type Fate = 'fulfilled' | 'rejected' | 'queue-full' | 'queue-timeout';

/** What the model expects during one 5 ms step. */
interface Step {
  atMs: number;
  started: number[];
  settled: Map<number, Fate>;
  active: number;
  queued: number;
}

const GRID_MS = 5;

function describeTask(p: TaskPlan): string {
  return p.kind === 'throw' ? 'throws synchronously' : `${p.kind === 'fulfil' ? 'fulfils' : 'rejects'} after ${p.durationMs} ms`;
}

function arrivalTimes(w: Workload): number[] {
  let at = 0;
  return w.arrivals.map((a) => (at += a.gapMs));
}

function describeWorkload(w: Workload): string {
  const times = arrivalTimes(w);
  const calls = w.arrivals.map((a, i) => `call ${i + 1} at ${times[i]} ms (task ${describeTask(a.task)})`);
  return `${describeOptions(w.options)}; ${calls.join(', ')}`;
}

/** The bulkhead as the statement describes it, stepped on the same grid as the test. */
function model(w: Workload): Step[] {
  const { maxConcurrent, maxQueue, queueTimeoutMs } = w.options;
  const times = arrivalTimes(w);
  const running = new Map<number, number>(); // call -> end time
  const queue: Array<{ n: number; deadline: number }> = [];
  const steps: Step[] = [];
  let nextArrival = 0;
  let at = 0;
  let step!: Step;
  const start = (n: number): void => {
    step.started.push(n);
    const plan = w.arrivals[n - 1]!.task;
    if (plan.kind === 'throw') step.settled.set(n, 'rejected');
    else running.set(n, at + plan.durationMs);
  };
  const fillSlots = (): void => {
    while (running.size < maxConcurrent && queue.length > 0) start(queue.shift()!.n);
  };
  /** Whether a running task ends at `at` (most grid points have none: no copy of `running` then). */
  const anyEnds = (): boolean => {
    for (const end of running.values()) if (end === at) return true;
    return false;
  };
  for (; nextArrival < times.length || running.size > 0 || queue.length > 0; at += GRID_MS) {
    step = { atMs: at, started: [], settled: new Map(), active: 0, queued: 0 };
    for (const [n, end] of anyEnds() ? [...running] : []) {
      if (end !== at) continue;
      running.delete(n);
      step.settled.set(n, w.arrivals[n - 1]!.task.kind === 'fulfil' ? 'fulfilled' : 'rejected');
      fillSlots();
    }
    for (let i = queue.length - 1; i >= 0; i--) {
      if (queue[i]!.deadline !== at) continue;
      step.settled.set(queue[i]!.n, 'queue-timeout');
      queue.splice(i, 1);
    }
    while (nextArrival < times.length && times[nextArrival] === at) {
      const n = ++nextArrival;
      if (running.size < maxConcurrent) start(n);
      else if (queue.length < maxQueue) queue.push({ n, deadline: at + queueTimeoutMs });
      else step.settled.set(n, 'queue-full');
    }
    step.active = running.size;
    step.queued = queue.length;
    steps.push(step);
  }
  return steps;
}

/** One call of a random workload, driven by virtual time. */
interface Driven {
  n: number;
  taskCalls: number;
  value: object;
  error: Error;
  outcome: { kind: 'pending' } | { kind: 'fulfilled'; value: unknown } | { kind: 'rejected'; reason: unknown } | { kind: 'threw'; error: unknown };
}

function fateOf(d: Driven): Fate | 'other' | 'pending' {
  const o = d.outcome;
  if (o.kind === 'pending') return 'pending';
  if (o.kind === 'fulfilled') return o.value === d.value ? 'fulfilled' : 'other';
  if (o.kind === 'threw') return 'other';
  if (o.reason === d.error) return 'rejected';
  if (isBulkheadFull(o.reason, 'queue-full')) return 'queue-full';
  if (isBulkheadFull(o.reason, 'queue-timeout')) return 'queue-timeout';
  return 'other';
}

function describeFate(f: Fate | 'pending'): string {
  switch (f) {
    case 'fulfilled': return "fulfil with its task's value";
    case 'rejected': return "reject with its task's own error";
    case 'queue-full': return "reject with BulkheadFullError reason 'queue-full'";
    case 'queue-timeout': return "reject with BulkheadFullError reason 'queue-timeout'";
    case 'pending': return 'still be pending';
  }
}

function describeDriven(d: Driven): string {
  const o = d.outcome;
  if (o.kind === 'threw') return `run() threw ${describeThrown(o.error)} synchronously`;
  if (o.kind === 'pending') return d.taskCalls === 0 ? 'it was still waiting' : 'it was still running';
  if (o.kind === 'fulfilled') return o.value === d.value ? "it fulfilled with its task's value" : `it fulfilled with ${show(o.value)}`;
  if (o.reason === d.error) return "it rejected with its task's own error";
  if (isBulkheadFull(o.reason)) return `it rejected with BulkheadFullError reason ${show((o.reason as { reason?: unknown }).reason)}`;
  return `it rejected with ${describeThrown(o.reason)}`;
}

async function runWorkload(w: Workload): Promise<void> {
  vi.clearAllTimers(); // nothing left over from an earlier run of the property
  const o = w.options;
  const steps = model(w);
  const times = arrivalTimes(w);
  const base = virtualNow();
  const now = () => virtualNow() - base;
  const bulkhead = createBulkhead(o);
  const driven: Driven[] = [];
  const log: string[] = [];
  const detail = () => `what your bulkhead did:\n${log.slice(-30).join('\n')}`;
  let inFlight = 0;
  let overLimit: { atMs: number; count: number } | undefined;
  let startedThisStep: number[] = [];
  let settledThisStep = new Map<number, Fate | 'other'>();

  const makeCall = (n: number): void => {
    const plan = w.arrivals[n - 1]!.task;
    const d: Driven = { n, taskCalls: 0, value: { value: `of call ${n}` }, error: stacklessError(`the task of call ${n} failed`), outcome: { kind: 'pending' } };
    driven.push(d);
    const task = (): Promise<unknown> => {
      d.taskCalls++;
      startedThisStep.push(n);
      log.push(`  ${now()} ms: the task of call ${n} started`);
      inFlight++;
      if (inFlight > o.maxConcurrent && overLimit === undefined) overLimit = { atMs: now(), count: inFlight };
      if (plan.kind === 'throw') {
        inFlight--;
        log.push(`  ${now()} ms: the task of call ${n} threw synchronously`);
        throw d.error;
      }
      return new Promise((resolve, reject) => {
        setTimeout(() => {
          inFlight--;
          log.push(`  ${now()} ms: the task of call ${n} ${plan.kind === 'fulfil' ? 'fulfilled' : 'rejected'}`);
          if (plan.kind === 'fulfil') resolve(d.value);
          else reject(d.error);
        }, plan.durationMs);
      });
    };
    log.push(`  ${now()} ms: call ${n} made`);
    let returned: unknown;
    try {
      returned = bulkhead.run(task);
    } catch (error) {
      d.outcome = { kind: 'threw', error };
      settledThisStep.set(n, 'other');
      return;
    }
    if (typeof (returned as { then?: unknown } | null)?.then !== 'function') fail(`run() returned ${show(returned)}; expected a promise`);
    const settled = (outcome: Driven['outcome']): void => {
      d.outcome = outcome;
      const fate = fateOf(d);
      settledThisStep.set(n, fate === 'pending' ? 'other' : fate);
      log.push(`  ${now()} ms: call ${n} settled: ${describeDriven(d)}`);
    };
    (returned as Promise<unknown>).then(
      (value) => settled({ kind: 'fulfilled', value }),
      (reason: unknown) => settled({ kind: 'rejected', reason }),
    );
  };

  const why = (n: number, atMs: number): string => {
    const madeAt = times[n - 1]!;
    return `call ${n} was made at ${madeAt} ms` + (madeAt === atMs ? '' : ` (${atMs - madeAt} ms earlier)`);
  };

  /** The model's step in which call `n` settles (each call settles in one step at most), built at the first question. */
  let settledSteps: Map<number, Step> | undefined;
  const settledIn = (n: number): Step | undefined => {
    if (!settledSteps) {
      settledSteps = new Map();
      for (const s of steps) for (const m of s.settled.keys()) if (!settledSteps.has(m)) settledSteps.set(m, s);
    }
    return settledSteps.get(n);
  };

  /** Compares what happened since the last stop with what the model expects at `at`. */
  const compare = (at: number, step: Step): void => {
    const here = `at ${at} ms`;
    // 1. Never more than maxConcurrent at once.
    if (overLimit) {
      const { atMs, count } = overLimit;
      fail(`at ${atMs} ms, ${count} tasks were running at once; expected at most maxConcurrent = ${o.maxConcurrent}`, detail());
    }
    // 2. Which tasks started, and in which order.
    for (const n of startedThisStep) {
      const d = driven[n - 1]!;
      if (d.taskCalls > 1) fail(`${here}, the task of call ${n} was called ${d.taskCalls} times; expected exactly once`, detail());
      const first = settledIn(n);
      const refusal = first?.settled.get(n) === 'queue-full' || first?.settled.get(n) === 'queue-timeout' ? first : undefined;
      if (refusal && refusal.atMs <= at) {
        fail(
          `${here}, the task of call ${n} started, but the call was refused with '${refusal.settled.get(n)}' at ${refusal.atMs} ms ` +
            `(or should have been): the task of a refused call must never be called (${why(n, at)}; ${describeOptions(o)})`,
          detail(),
        );
      }
    }
    if (startedThisStep.join() !== step.started.join()) {
      const tasks = (list: number[]) =>
        list.length === 0 ? 'no task' : list.length === 1 ? `the task of call ${list[0]}` : `the tasks of calls ${list.join(', ')}`;
      const reasons: string[] = [];
      for (const n of step.started) {
        if (startedThisStep.includes(n)) continue;
        reasons.push(
          times[n - 1] === at
            ? `call ${n} was made with fewer than maxConcurrent = ${o.maxConcurrent} tasks running, so it should start at once`
            : `call ${n} was the oldest waiting call (made at ${times[n - 1]} ms) when a running task settled, so it should take the freed slot`,
        );
      }
      for (const n of startedThisStep) {
        if (!step.started.includes(n)) reasons.push(`call ${n} (made at ${times[n - 1]} ms) should have kept waiting`);
      }
      if (reasons.length === 0) reasons.push('waiting calls start oldest first');
      fail(`${here}, ${tasks(startedThisStep)} started; expected ${tasks(step.started)}: ${reasons.join('; ')} (${describeOptions(o)})`, detail());
    }
    // 3. Which calls settled, and how.
    for (const [n, fate] of step.settled) {
      if (settledThisStep.get(n) === fate) continue;
      const hint = fate === 'queue-timeout'
        ? ` (it had waited queueTimeoutMs = ${o.queueTimeoutMs} ms)`
        : fate === 'queue-full' ? ` (${plural(o.maxConcurrent, 'task')} running and ${plural(o.maxQueue, 'call')} waiting)` : '';
      fail(`${here}, call ${n} should ${describeFate(fate)}${hint}, but ${describeDriven(driven[n - 1]!)} (${why(n, at)})`, detail());
    }
    for (const [n] of settledThisStep) {
      if (step.settled.has(n)) continue;
      const expected = steps.find((s) => s.settled.has(n));
      fail(
        `${here}, ${describeDriven(driven[n - 1]!).replace(/^it /, `call ${n} `)}; expected it to ` +
          `${expected ? `${describeFate(expected.settled.get(n)!)} at ${expected.atMs} ms` : 'settle later'} (${why(n, at)})`,
        detail(),
      );
    }
    // 4. The counters.
    const active = counter(bulkhead, 'active');
    const queued = counter(bulkhead, 'queued');
    if (active !== step.active || queued !== step.queued) {
      fail(`${here}, \`active\` read ${show(active)} and \`queued\` read ${show(queued)}; expected ${step.active} and ${step.queued}`, detail());
    }
    startedThisStep = [];
    settledThisStep = new Map();
  };

  /** The model's step at `at`; between grid points (only a wrong solution acts there), nothing happens. */
  const expectedAt = (at: number): Step => {
    const index = Math.min(Math.floor(at / GRID_MS), steps.length - 1);
    const step = steps[index]!;
    if (step.atMs === at) return step;
    const last = at > steps[steps.length - 1]!.atMs;
    return { atMs: at, started: [], settled: new Map(), active: last ? 0 : step.active, queued: last ? 0 : step.queued };
  };

  // Stop at every moment something is due: each arrival, each event of the model, and every timer
  // (the tasks' and the bulkhead's), letting promise callbacks run after each one.
  const targets = [...new Set([...times, ...steps.filter((s) => s.started.length > 0 || s.settled.size > 0).map((s) => s.atMs)])]
    .sort((a, b) => a - b);
  let nextArrival = 0;
  const readable = canReadTimers();
  for (const target of targets) {
    if (target > now() && readable) {
      // As below, without the probe timer: the timers due before the target fire one group at a
      // time, each group followed by its promise callbacks and a comparison; the group due at the
      // target (the probe's) fires last, or, when none is due, the clock moves there (the probe
      // alone would have fired) and the promise callbacks run.
      const end = Date.now() + (target - now());
      for (let fired = 0; ; fired++) {
        const due = nextTimerAt();
        if (due === undefined || due > end) {
          vi.advanceTimersByTime(end - Date.now());
          await flushMicrotasks();
          break;
        }
        if (fired > 10_000) fail(`your code kept scheduling timers without time moving on (at ${now()} ms)`, detail());
        vi.advanceTimersToNextTimer();
        await flushMicrotasks();
        if (now() >= target) break;
        compare(now(), expectedAt(now()));
      }
      // Anything else due at this very moment (with nothing due, the promise callbacks have run).
      const due = nextTimerAt();
      if (due !== undefined && due <= Date.now()) {
        vi.advanceTimersByTime(0);
        await flushMicrotasks();
      }
    } else if (target > now()) {
      let reached = false;
      setTimeout(() => { reached = true; }, target - now());
      for (let fired = 0; !reached; fired++) {
        if (fired > 10_000) fail(`your code kept scheduling timers without time moving on (at ${now()} ms)`, detail());
        vi.advanceTimersToNextTimer();
        await flushMicrotasks();
        if (!reached && now() < target) compare(now(), expectedAt(now()));
      }
      vi.advanceTimersByTime(0); // anything else due at this very moment
      await flushMicrotasks();
    }
    while (nextArrival < times.length && times[nextArrival] === target) {
      makeCall(++nextArrival);
      await flushMicrotasks();
    }
    compare(target, expectedAt(target));
  }
  const left = pendingTimers();
  check(
    left === 0,
    () => `at ${now()} ms every call had settled, yet ${plural(left, 'timer')} ${left === 1 ? 'was' : 'were'} still pending; ` +
      'clear the queue-timeout timer of each waiting call when it starts',
    detail(),
  );
}

const taskPlanArb: fc.Arbitrary<TaskPlan> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant<'fulfil'>('fulfil'), durationMs: fc.integer({ min: 1, max: 30 }).map((d) => 10 * d) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant<'reject'>('reject'), durationMs: fc.integer({ min: 1, max: 30 }).map((d) => 10 * d) }) },
  { weight: 1, arbitrary: fc.constant<TaskPlan>({ kind: 'throw' }) },
);

const workloadArb: fc.Arbitrary<Workload> = fc.record({
  options: fc.record({
    maxConcurrent: fc.integer({ min: 1, max: 4 }),
    maxQueue: fc.integer({ min: 0, max: 4 }),
    queueTimeoutMs: fc.integer({ min: 1, max: 30 }).map((t) => 10 * t + 5),
  }),
  arrivals: fc.array(
    fc.record({
      gapMs: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 10 }).map((g) => 10 * g) }),
      task: taskPlanArb,
    }),
    { minLength: 1, maxLength: 20 },
  ),
});

test('matches a model under random workloads: at most maxConcurrent at once, FIFO starts, the right outcome at the right time', async () => {
  useVirtualTime();
  await holds(fc.asyncProperty(workloadArb, (w) => runWorkload(w)), {
    numRuns: 120,
    describe: ([w]) => describeWorkload(w),
  });
});
