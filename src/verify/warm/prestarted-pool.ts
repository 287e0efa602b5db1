/**
 * The warm child's vitest pool: vitest's own `threads` pool (its worker entry, options, and a new
 * thread for every run, so that a run's modules and globals are as fresh as a cold run's), except
 * that the thread for the next run is started while the child waits, as soon as a run's thread has
 * gone. Starting a thread and loading vitest's runtime into it was most of a small suite's warm run.
 *
 * A thread started early was given the environment of the run before; the run's own (learner file,
 * seed, report file: what the hidden setup and suite read) is handed to it before vitest's "start".
 *
 * Proofs (REUSE_THREADS_ENV) go further: a thread whose run left it as it was found (the same kinds
 * of resources in its event loop, no global, process or built-in property changed) serves the next
 * run, vitest's "start" and "stop" answered here so that its runtime stays up. The run's own modules
 * are still evaluated afresh (vitest resets them before each file under `isolate`), setup.ts puts back
 * what it wraps, and the harness resets its per-run state. A run then costs a third to a tenth of
 * its CPU. Learners' runs never reuse a thread.
 */
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import type { PoolOptions, PoolWorker, WorkerRequest } from 'vitest/node';

export const PRESTARTED_POOL = 'learn-ds-threads';
/** Set to "1" by the warm child: hidden.config.ts then runs its suites in this pool. */
export const PRESTARTED_POOL_ENV = 'LEARN_DS_PRESTARTED_POOL';
/** Set to "1" where a thread may serve several runs (proofs): see PrestartedThreadsWorker. */
export const REUSE_THREADS_ENV = 'LEARN_DS_REUSE_THREADS';
/** Where the child reads whether its last run had a new thread or one kept from a run before. */
export const THREAD_OF_LAST_RUN = Symbol.for('learn-ds.prestarted-pool.last-thread');

// The thread's entry: vitest's threads entry, loaded at once, then "ready" on the pool's own port,
// where the run's environment comes (and is acknowledged) before vitest is told to start. Plain
// JavaScript, run by Node as it is.
const ENTRY = `
import { workerData } from 'node:worker_threads';
const { vitestEntry, envPort, preload } = workerData;
await import(vitestEntry);
// What every run imports first (kit-bundle.ts): imported now, it is ready when the run starts.
if (preload) await import(preload).catch(() => {});
// What a run could leave changed for the next one in this thread: the global object's and
// process's properties, and the built-ins' (their statics and prototypes), as found at start.
const builtins = [Object, Array, Function, String, Number, Boolean, Symbol, BigInt, Date, RegExp, Error, Promise, Map, Set, WeakMap, WeakSet, ArrayBuffer, Uint8Array, JSON, Math, Reflect, Atomics, Intl];
const watched = [globalThis, process, performance, ...builtins, ...builtins.map((b) => b.prototype).filter(Boolean)];
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
const names = ['globalThis', 'process', 'performance', ...builtins.map((b) => b.name ?? String(b)), ...builtins.filter((b) => b.prototype).map((b) => (b.name ?? String(b)) + '.prototype')];
/** The properties a run changed, of those it should not have. */
function changed(before, after, allowed) {
  const found = [];
  after.forEach((props, i) => {
    const was = before[i];
    for (const key of new Set([...was.keys(), ...props.keys()])) {
      const a = was.get(key);
      const b = props.get(key);
      const same = a && b && a.length === b.length && a.every((v, k) => Object.is(v, b[k]));
      if (!same && !allowed.includes(String(key))) found.push(names[i] + '.' + String(key));
    }
  });
  return found;
}
let before;
let runs = 0;
envPort.on('message', (message) => {
  if (message.check) {
    let answer;
    try {
      answer = { resources: process.getActiveResourcesInfo(), changed: before ? changed(before, snapshot(), ++runs === 1 ? FIRST_RUN : EVERY_RUN) : ['(no snapshot)'] };
    } catch (error) {
      answer = { resources: [], changed: [String(error)] };
    }
    envPort.postMessage(answer);
    return;
  }
  const env = message.env;
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  before = snapshot();
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
/** The resources a thread's event loop holds after a run that left nothing running (reuse-threads). */
let cleanResources: string | undefined;
let preload: string | undefined;

/** A module every run of this process imports (the kit bundle's preload.mjs): new threads import it ahead. */
export function preloadInThreads(file: string): void {
  preload = file;
}

function takeSpare(options: PoolOptions): Thread | undefined {
  const thread = spare;
  spare = undefined;
  if (thread && thread.key === keyOf(options)) return thread;
  if (thread) void thread.worker.terminate();
  return undefined;
}

const reuse = () => process.env[REUSE_THREADS_ENV] === '1';

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
   * Whether the run left the thread as it found it: the same kinds of resources in its event loop
   * (a timer or socket left running would fire into the next run), and no global or built-in
   * changed (a patched Math.random or Date would change the next run's verdict).
   */
  private async checkClean(thread: Thread): Promise<boolean> {
    const answer = reply<{ resources: string[]; changed: string[] }>(thread.envPort);
    thread.envPort.postMessage({ check: true });
    const got = await Promise.race([answer, thread.exited.then(() => undefined)]);
    if (!got) return false;
    const resources = [...got.resources].sort().join();
    // The first run in this process is a proof's reference: what it left is what a run leaves.
    cleanResources ??= resources;
    const clean = resources === cleanResources && got.changed.length === 0;
    if (process.env.LEARN_DS_DEBUG) process.stderr.write(`learn-ds: thread ${clean ? 'kept' : 'not kept'} after its run: ${resources} | changed: ${got.changed.join(', ') || 'nothing'}\n`);
    return clean;
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
