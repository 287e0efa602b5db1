/**
 * The warm child's vitest pool: vitest's own `threads` pool (its worker entry, options, and a new
 * thread for every run, so that a run's modules and globals are as fresh as a cold run's), except
 * that the thread for the next run is started while the child waits, as soon as a run's thread has
 * gone. Starting a thread and loading vitest's runtime into it was most of a small suite's warm run.
 *
 * A thread started early was given the environment of the run before; the run's own (learner file,
 * seed, report file: what the hidden setup and suite read) is handed to it before vitest's "start".
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import type { PoolOptions, PoolWorker, WorkerRequest } from 'vitest/node';

export const PRESTARTED_POOL = 'learn-ds-threads';
/** Set to "1" by the warm child: hidden.config.ts then runs its suites in this pool. */
export const PRESTARTED_POOL_ENV = 'LEARN_DS_PRESTARTED_POOL';

// The thread's entry: vitest's threads entry, loaded at once, then "ready" on the pool's own port,
// where the run's environment comes (and is acknowledged) before vitest is told to start. Plain
// JavaScript, run by Node as it is.
const ENTRY = `
import { workerData } from 'node:worker_threads';
const { vitestEntry, envPort, preload } = workerData;
await import(vitestEntry);
// What every run imports first (kit-bundle.ts): imported now, it is ready when the run starts.
if (preload) await import(preload).catch(() => {});
envPort.on('message', (env) => {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
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
  return { worker, envPort: port1, ready, exited, key: keyOf(options) };
}

/** The thread's next message on the pool's port (it only ever says "ready" or "applied"). */
function reply(port: MessagePort): Promise<true> {
  return new Promise((resolve) => port.once('message', () => resolve(true)));
}

let spare: Thread | undefined;
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

class PrestartedThreadsWorker implements PoolWorker {
  readonly name = PRESTARTED_POOL;
  private thread: Thread | undefined;
  private readonly stdout: Writable;
  private readonly stderr: Writable;

  constructor(private readonly options: PoolOptions) {
    this.stdout = options.project.vitest.logger.outputStream as Writable;
    this.stderr = options.project.vitest.logger.errorStream as Writable;
  }

  private get worker(): Worker {
    if (!this.thread) throw new Error('the worker thread was torn down or never started');
    return this.thread.worker;
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.worker.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.worker.off(event, callback);
  }

  send(message: WorkerRequest): void {
    this.worker.postMessage(message);
  }

  async start(): Promise<void> {
    if (this.thread) return;
    let thread = takeSpare(this.options) ?? startThread(this.options);
    // A spare that died waiting (it never ran anything) is replaced; a new thread that dies too is
    // vitest's to report, as with its own pool.
    if (!(await thread.ready)) await (thread = startThread(this.options)).ready;
    // This run's environment, applied in the thread before vitest is told to start.
    const applied = reply(thread.envPort);
    thread.envPort.postMessage({ ...this.options.env });
    await Promise.race([applied, thread.exited]);
    thread.worker.ref();
    this.thread = thread;
    for (const [from, to] of [[thread.worker.stdout, this.stdout], [thread.worker.stderr, this.stderr]] as const) {
      to.setMaxListeners(to.getMaxListeners() + 1);
      from.pipe(to);
    }
  }

  async stop(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    await thread.worker.terminate();
    for (const [from, to] of [[thread.worker.stdout, this.stdout], [thread.worker.stderr, this.stderr]] as const) {
      from.unpipe(to);
      to.setMaxListeners(to.getMaxListeners() - 1);
    }
    thread.envPort.close();
    this.thread = undefined;
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
