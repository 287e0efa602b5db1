/**
 * The warm child's vitest pool: vitest's own `threads` pool (its worker entry, options, and a new
 * thread for every run, so that a run's modules and globals are as fresh as a cold run's), except
 * that the thread for the next run is started while the child waits, as soon as a run's thread has
 * gone. Starting a thread and loading vitest's runtime into it was most of a small suite's warm run.
 *
 * A thread started early was given the environment of the run before; the run's own (learner file,
 * seed, report file: what the hidden setup and suite read) is handed to it before vitest's "start".
 *
 * With REUSE_THREADS_ENV (the warm runner's default) it goes further: a thread whose run left it
 * as it was found (checkClean says what that means) serves the next run, vitest's "start" and
 * "stop" answered here so that its runtime stays up. The run's own modules are still evaluated
 * afresh (vitest resets them before each file under `isolate`), setup.ts puts back what it wraps,
 * and the harness resets its per-run state. A run then costs a third to a tenth of its CPU, and a
 * save in watch waits for no thread. Any doubt, and the next run gets a new thread, as before;
 * the verdicts are a cold run's (test/warm-verifier.test.ts).
 */
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import type { PoolOptions, PoolWorker, WorkerRequest } from 'vitest/node';
import { learnerPackages } from '../import-guard.ts';
import { REUSE_THREADS_ENV } from './protocol.ts';

export const PRESTARTED_POOL = 'learn-ds-threads';
/** Set to "1" by the warm child: hidden.config.ts then runs its suites in this pool. */
export const PRESTARTED_POOL_ENV = 'LEARN_DS_PRESTARTED_POOL';
/** Where the child reads whether its last run had a new thread or one kept from a run before. */
export const THREAD_OF_LAST_RUN = Symbol.for('learn-ds.prestarted-pool.last-thread');

// The thread's entry: vitest's threads entry, loaded at once, then "ready" on the pool's own port,
// where the run's environment comes (and is acknowledged) before vitest is told to start. Plain
// JavaScript, run by Node as it is.
const ENTRY = `
import { workerData } from 'node:worker_threads';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { getHeapStatistics } from 'node:v8';
const { vitestEntry, envPort, preload } = workerData;
const require = createRequire(vitestEntry);
// Real timers made in a run, whoever made them but vitest or undici: one still pending when the run ends
// would fire in the next. Recorded from here on, before vitest or any run takes the functions, by
// the global names and node:timers' alike (the hidden setup tracks the global ones for the learner).
let made = [];
const nodeTimers = require('node:timers');
/** Whether the code that asked for a timer is vitest's or undici's (past this file's and the hidden setup's wrappers). */
function byRuntime() {
  const format = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_error, sites) => sites;
  Error.stackTraceLimit = 6;
  const sites = new Error().stack;
  Error.prepareStackTrace = format;
  Error.stackTraceLimit = limit;
  const caller = Array.isArray(sites) ? sites.map((site) => site.getFileName() ?? '').find((file) => !file.startsWith('data:') && !/[\\/]harness[\\/]setup\\.ts$/.test(file)) : undefined;
  // undici's (fetch's) own timers tick for its connections: a connection left open is seen apart.
  return caller !== undefined && (/[\\/]node_modules[\\/](?:@vitest|vitest)[\\/]/.test(caller) || caller.startsWith('node:internal/deps/undici/'));
}
for (const name of ['setTimeout', 'setInterval']) {
  const original = nodeTimers[name];
  const recording = function (...args) {
    const timer = original.apply(this, args);
    if (!byRuntime()) made.push(timer);
    return timer;
  };
  Object.defineProperties(recording, Object.getOwnPropertyDescriptors(original));
  nodeTimers[name] = recording;
  globalThis[name] = recording;
}
// node:timers/promises' timers resolve a promise: pending ones are counted.
const promiseTimers = require('node:timers/promises');
let sleeping = 0;
for (const name of ['setTimeout', 'setImmediate']) {
  const original = promiseTimers[name];
  promiseTimers[name] = function (...args) {
    sleeping++;
    return original.apply(this, args).finally(() => sleeping--);
  };
}
const promiseInterval = promiseTimers.setInterval;
let intervals = 0;
promiseTimers.setInterval = function (...args) {
  intervals++;
  return promiseInterval.apply(this, args);
};
syncBuiltinESMExports();
await import(vitestEntry);
// What every run imports first (kit-bundle.ts): imported now, it is ready when the run starts.
const preloaded = preload ? await import(preload).catch(() => undefined) : undefined;
// fast-check, when preloaded, is one module for all runs: its global configuration (a suite's or
// learner code's configureGlobal) is put back as found here before each run.
// A copy, given as a new object each time: the one in force may have been changed in place.
const fastCheckAtStart = preloaded?.fastCheckConfig ? { ...preloaded.fastCheckConfig() } : undefined;
// What a run could leave changed for the next one in this thread: the global object's and
// process's properties, and the built-ins' (their statics and prototypes), as found at start.
const builtins = [Object, Array, Function, String, Number, Boolean, Symbol, BigInt, Date, RegExp, Error, Promise, Map, Set, WeakMap, WeakSet, ArrayBuffer, Uint8Array, JSON, Math, Reflect, Atomics, Intl];
// Node's own modules as learner code may patch them (fs.readFileSync, http.request, …).
const nodeModules = ['fs', 'fs/promises', 'http', 'https', 'net', 'dns', 'crypto', 'events', 'timers', 'timers/promises', 'util', 'child_process', 'os', 'path', 'url', 'stream', 'buffer', 'zlib', 'perf_hooks', 'async_hooks', 'worker_threads', 'module', 'vm', 'assert'];
const watched = [globalThis, process, performance, ...builtins, ...builtins.map((b) => b.prototype).filter(Boolean), ...nodeModules.map((m) => require('node:' + m))];
// Node defines many globals (TextEncoder, ReadableStream, Blob…) as getters that become plain
// values when first read: read now, so that a run's first use of them is no change.
for (const object of [globalThis, ...nodeModules.map((m) => require('node:' + m))]) {
  for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(object))) {
    if (d.get) {
      try {
        object[key];
      } catch {}
    }
  }
}
function snapshot() {
  return watched.map((object) => {
    const props = new Map();
    for (const key of Reflect.ownKeys(object)) {
      const d = Reflect.getOwnPropertyDescriptor(object, key);
      props.set(key, d && ('value' in d ? [d.value] : [d.get, d.set]));
    }
    return props;
  });
}
// What vitest and the hidden setup replace on every run (setup.ts puts back the first run's), and
// what vitest's start-up adds or replaces on a thread's first run: any other change keeps the
// thread from serving another run.
const EVERY_RUN = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', '__vitest_worker__', 'exit'];
const FIRST_RUN = [...EVERY_RUN, 'console', 'AbortController', '__vitest_mocker__', '__vitest_index__', '__vitest_required__', 'Symbol(vitest:SAFE_TIMERS)', 'Symbol(learn-ds.setup.first-found)', '_eventsCount', 'prepareStackTrace'];
const names = ['globalThis', 'process', 'performance', ...builtins.map((b) => b.name ?? String(b)), ...builtins.filter((b) => b.prototype).map((b) => (b.name ?? String(b)) + '.prototype'), ...nodeModules.map((m) => 'node:' + m)];
/** A thread that grew this large is not kept (the next run would pay its garbage collections). */
const MAX_HEAP = 384 * 1024 * 1024;
/** The properties a run changed, of those it should not have. */
function changed(before, after, allowed) {
  const found = [];
  after.forEach((props, i) => {
    const was = before[i];
    for (const key of new Set([...was.keys(), ...props.keys()])) {
      const a = was.get(key);
      const b = props.get(key);
      const same = a && b && a.length === b.length && a.every((v, k) => Object.is(v, b[k]));
      // undici (fetch) keeps its global dispatcher under such a symbol, made at the first fetch.
      if (!same && !allowed.includes(String(key)) && !String(key).startsWith('Symbol(undici.')) found.push(names[i] + '.' + String(key));
    }
  });
  return found;
}
/**
 * What the run left running: its timers still pending, vitest's own aside (its runner sends task
 * updates at most every 100 ms), node:timers/promises' timers still pending, and any other resource
 * in the event loop now and not before the run (by kind: a socket, a server, an immediate…).
 */
function leftRunning(before, after) {
  const left = after.filter((kind) => kind !== 'Timeout');
  for (const kind of before) {
    const i = left.indexOf(kind);
    if (i >= 0) left.splice(i, 1);
  }
  // A timer is done once fired (a timeout) or cleared; a timer without the mark counts as running.
  for (const timer of made) if (timer._destroyed !== true) left.push(timer._repeat ? 'an interval' : 'a timeout');
  if (sleeping > 0) left.push(sleeping + ' node:timers/promises timer(s)');
  if (intervals > 0) left.push('a node:timers/promises interval');
  return left;
}
let before;
let resourcesBefore = [];
let runs = 0;
envPort.on('message', (message) => {
  if (message.check) {
    let answer;
    try {
      const heap = getHeapStatistics().used_heap_size;
      answer = { left: leftRunning(resourcesBefore, process.getActiveResourcesInfo()), changed: before ? changed(before, snapshot(), ++runs === 1 ? FIRST_RUN : EVERY_RUN) : ['(no snapshot)'] };
      if (heap > MAX_HEAP) answer.changed.push('heap ' + Math.round(heap / 1048576) + ' MB');
    } catch (error) {
      answer = { left: [], changed: [String(error)] };
    }
    envPort.postMessage(answer);
    return;
  }
  const env = message.env;
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  if (fastCheckAtStart !== undefined) preloaded.fastCheckConfigure({ ...fastCheckAtStart });
  before = snapshot();
  resourcesBefore = process.getActiveResourcesInfo();
  made = [];
  intervals = 0;
  envPort.postMessage('applied');
});
envPort.postMessage('ready');
`;
const entryUrl = new URL(`data:text/javascript,${encodeURIComponent(ENTRY)}`);

interface Thread {
  worker: Worker;
  envPort: MessagePort;
  /** Resolves once vitest's runtime is loaded in it; false if it died first. */
  ready: Promise<boolean>;
  /** Resolves when the thread is gone. */
  exited: Promise<void>;
  /** What it was started with: a spare is used only by a run that would start it alike. */
  key: string;
  /** Vitest's "start" was handled in it: a thread kept for another run is not started again. */
  started: boolean;
}

const keyOf = (options: PoolOptions) => JSON.stringify([options.distPath, options.execArgv]);

function startThread(options: PoolOptions): Thread {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(entryUrl, {
    env: options.env,
    execArgv: options.execArgv,
    stdout: true,
    stderr: true,
    workerData: { vitestEntry: pathToFileURL(join(options.distPath, 'workers', 'threads.js')).href, envPort: port2, preload: preload && pathToFileURL(preload).href },
    transferList: [port2],
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    worker.once('error', () => resolve());
  });
  const ready = Promise.race([reply(port1), exited.then(() => false)]);
  // A spare never keeps the child alive.
  worker.unref();
  port1.unref();
  return { worker, envPort: port1, ready, exited, key: keyOf(options), started: false };
}

/** The thread's next message on the pool's port. */
function reply<T = true>(port: MessagePort): Promise<T> {
  return new Promise((resolve) => port.once('message', (m: unknown) => resolve((m === 'ready' || m === 'applied' ? true : m) as T)));
}

let spare: Thread | undefined;
let preload: string | undefined;
let preloadedPackages: readonly string[] = [];

/**
 * A module every run of this process imports (the kit bundle's preload.mjs): new threads import it
 * ahead. `packages`: those it imports, shared by every run of a thread anyway (the suites import
 * them too), so learner code importing them does not keep its thread from serving another run.
 */
export function preloadInThreads(file: string, packages: readonly string[] = []): void {
  preload = file;
  preloadedPackages = packages;
}

function takeSpare(options: PoolOptions): Thread | undefined {
  const thread = spare;
  spare = undefined;
  if (thread && thread.key === keyOf(options)) return thread;
  if (thread) void thread.worker.terminate();
  return undefined;
}

const reuse = () => process.env[REUSE_THREADS_ENV] === '1';

/** Whether a check of the run failed by running out of time (vitest's own message for it). */
function timedOutCheck(options: PoolOptions): boolean {
  const timedOut = (task: { result?: { errors?: ReadonlyArray<{ message?: string }> }; tasks?: readonly unknown[] }): boolean =>
    (task.result?.errors ?? []).some((e) => /timed out/i.test(e.message ?? '')) || (task.tasks ?? []).some((t) => timedOut(t as typeof task));
  return options.project.vitest.state.getFiles().some(timedOut);
}

class PrestartedThreadsWorker implements PoolWorker {
  readonly name = PRESTARTED_POOL;
  private thread: Thread | undefined;
  private readonly stdout: Writable;
  private readonly stderr: Writable;
  /** What vitest listens to: the thread's events while this run holds it, and the replies made here. */
  private readonly events = new EventEmitter();
  private readonly forward = {
    message: (m: unknown) => this.events.emit('message', m),
    error: (e: unknown) => this.events.emit('error', e),
    exit: (c: unknown) => this.events.emit('exit', c),
  };
  /** Whether the run left the thread as it found it (reuse-threads): then it serves the next run. */
  private keep = false;

  constructor(private readonly options: PoolOptions) {
    this.stdout = options.project.vitest.logger.outputStream as Writable;
    this.stderr = options.project.vitest.logger.errorStream as Writable;
  }

  private get worker(): Worker {
    if (!this.thread) throw new Error('the worker thread was torn down or never started');
    return this.thread.worker;
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.events.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.events.off(event, callback);
  }

  send(message: WorkerRequest): void {
    const thread = this.thread;
    if (thread && reuse() && message.type === 'start' && thread.started) {
      // Started for an earlier run: vitest's runtime is set up in it already.
      queueMicrotask(() => this.events.emit('message', { type: 'started', __vitest_worker_response__: true }));
      return;
    }
    if (thread && reuse() && message.type === 'stop') {
      // Not torn down: kept for the next run if this one left nothing running in it.
      void this.checkClean(thread).then((clean) => {
        this.keep = clean;
        this.events.emit('message', { type: 'stopped', __vitest_worker_response__: true });
      });
      return;
    }
    if (thread && message.type === 'start') thread.started = true;
    this.worker.postMessage(message);
  }

  /**
   * Whether the run left the thread as it found it: nothing new running in its event loop (a
   * socket or timer left running would act in the next run), no global, process, built-in or Node
   * module property changed (a patched Math.random or fs.readFileSync would change the next run's
   * verdict), no package imported by learner code (its state would outlive the run), no check cut
   * by its time limit (the learner's code may still be at work), the heap not grown large.
   */
  private async checkClean(thread: Thread): Promise<boolean> {
    const answer = reply<{ left: string[]; changed: string[] }>(thread.envPort);
    thread.envPort.postMessage({ check: true });
    const got = await Promise.race([answer, thread.exited.then(() => undefined)]);
    if (!got) return false;
    const reasons = [...got.left.map((kind) => `left running: ${kind}`), ...got.changed.map((what) => `changed: ${what}`)];
    const packages = [...learnerPackages()].filter((name) => !preloadedPackages.includes(name));
    if (packages.length > 0) reasons.push(`learner code imports ${packages.join(', ')}`);
    if (timedOutCheck(this.options)) reasons.push('a check ran out of time');
    if (process.env.LEARN_DS_DEBUG) process.stderr.write(`learn-ds: the run's thread ${reasons.length === 0 ? 'is kept for the next run' : `is not kept (${reasons.join('; ')})`}\n`);
    return reasons.length === 0;
  }

  async start(): Promise<void> {
    if (this.thread) return;
    let thread = takeSpare(this.options) ?? startThread(this.options);
    // A spare that died waiting (it never ran anything) is replaced; a new thread that dies too is
    // vitest's to report, as with its own pool.
    if (!(await thread.ready)) await (thread = startThread(this.options)).ready;
    // This run's environment, applied in the thread before vitest is told to start.
    const applied = reply(thread.envPort);
    thread.envPort.postMessage({ env: { ...this.options.env } });
    await Promise.race([applied, thread.exited]);
    thread.worker.ref();
    (globalThis as Record<symbol, unknown>)[THREAD_OF_LAST_RUN] = thread.started ? 'reused' : 'new';
    this.thread = thread;
    for (const [event, fn] of Object.entries(this.forward)) thread.worker.on(event, fn);
    for (const [from, to] of [[thread.worker.stdout, this.stdout], [thread.worker.stderr, this.stderr]] as const) {
      to.setMaxListeners(to.getMaxListeners() + 1);
      from.pipe(to);
    }
  }

  async stop(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    for (const [event, fn] of Object.entries(this.forward)) thread.worker.off(event, fn);
    if (this.keep) {
      thread.worker.unref();
    } else {
      await thread.worker.terminate();
    }
    for (const [from, to] of [[thread.worker.stdout, this.stdout], [thread.worker.stderr, this.stderr]] as const) {
      from.unpipe(to);
      to.setMaxListeners(to.getMaxListeners() - 1);
    }
    this.thread = undefined;
    if (this.keep) {
      if (spare) void spare.worker.terminate();
      spare = thread;
      return;
    }
    thread.envPort.close();
    // The next run's thread, started now that this one is gone (one spare at most).
    if (!spare) spare = startThread(this.options);
  }

  deserialize(data: unknown): unknown {
    return data;
  }
}

/** The pool, for createVitest's `pool` option. */
export const prestartedThreads = {
  name: PRESTARTED_POOL,
  createPoolWorker: (options: PoolOptions): PoolWorker => new PrestartedThreadsWorker(options),
};
