/**
 * `verify`'s side of the verifier daemon (server.ts): a SuiteRunner that sends the run to the
 * daemon, starting one when none answers, and replacing it when it serves another learn-ds.
 * Whatever goes wrong with the daemon (it cannot start, dies, or says nothing) costs time, never
 * the verdict: the run is then made cold, as with --no-daemon.
 */
import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { COMMAND_ENV, learnDsCommand } from '../../command.ts';
import { packageRoot } from '../../package-paths.ts';
import type { SuiteOutcome, SuiteRequest } from '../run-suite.ts';
import type { TypeProblems } from '../typecheck.ts';
import { preflight, type PreflightProblem } from '../preflight.ts';
import type { PreflightingRunner } from '../verify.ts';
import { backstopMs } from '../cpu-limit.ts';
import { exerciseFingerprint, learnDsFingerprint } from './fingerprint.ts';
import { daemonEnabled, lineReader, socketPath, type ClientMessage, type DaemonMessage } from './protocol.ts';

/** What the caller may show while it waits: a start-up to pay (first run), or a warm run. */
export type DaemonWait = 'starting' | 'cold' | 'warm';

export interface DaemonRunnerOptions {
  onWait?: (state: DaemonWait) => void;
  /** The request is on its way to a daemon: what only printing needs can be loaded meanwhile. */
  onSent?: () => void;
  /** The run to make when the daemon cannot (default: a cold run-suite run). */
  fallback?: (request: SuiteRequest) => Promise<SuiteOutcome>;
}

/** A daemon's start-up: the launcher (rebuilding its bundle after a change) and the socket. */
const CONNECT_TIMEOUT_MS = 30_000;

function connect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(undefined));
  });
}

/** Starts a daemon, detached from this terminal and process; it outlives this command. */
function spawnDaemon(): void {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'learn-ds.js'), '__daemon'], {
    detached: true,
    stdio: 'ignore',
    cwd: packageRoot,
    // It spells the command as this process does, whatever it would guess from its own start.
    env: { ...process.env, [COMMAND_ENV]: learnDsCommand() },
  });
  child.on('error', () => undefined);
  child.unref();
}

async function connectOrStart(path: string, onStart: () => void): Promise<Socket | undefined> {
  const socket = await connect(path);
  if (socket) return socket;
  onStart();
  spawnDaemon();
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const s = await connect(path);
    if (s) return s;
  }
  return undefined;
}

type Exchange =
  | { kind: 'outcome'; outcome: SuiteOutcome }
  | { kind: 'preflight'; problem: PreflightProblem }
  | { kind: 'stale' }
  | { kind: 'lost' }
  | { kind: 'interrupted' };

/** One run over one connection: what the daemon answered, or why there is no answer. */
function exchange(socket: Socket, message: ClientMessage, request: SuiteRequest, onAccepted: (warm: boolean) => void, onSent?: () => void): Promise<Exchange> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Exchange) => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      request.signal?.removeEventListener('abort', onSignal);
      clearTimeout(guard);
      if (result.kind !== 'outcome') socket.destroy();
      resolve(result);
    };
    // Ctrl-C: closing the connection makes the daemon kill the run.
    const onSignal = () => settle({ kind: 'interrupted' });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    request.signal?.addEventListener('abort', onSignal);
    // The daemon enforces the run's limit; this only catches a daemon that stopped answering.
    const guard = setTimeout(() => settle({ kind: 'lost' }), backstopMs(request.timeoutMs) + 30_000);
    socket.setEncoding('utf8');
    socket.on(
      'data',
      lineReader((raw) => {
        const m = raw as DaemonMessage;
        if (m.type === 'accepted') onAccepted(m.warm);
        else if (m.type === 'progress') request.onProgress?.(m.progress);
        else if (m.type === 'stale') settle({ kind: 'stale' });
        else if (m.type === 'outcome') settle({ kind: 'outcome', outcome: m.outcome });
        else if (m.type === 'preflight') settle({ kind: 'preflight', problem: m.problem });
      }),
    );
    socket.once('close', () => settle({ kind: 'lost' }));
    socket.once('error', () => settle({ kind: 'lost' }));
    socket.write(`${JSON.stringify(message)}\n`, onSent);
  });
}

function interrupted(): SuiteOutcome {
  return { report: null, exitCode: undefined, signal: undefined, timedOut: false, interrupted: true, outputTail: '', runningTest: undefined };
}

async function coldRun(request: SuiteRequest): Promise<SuiteOutcome> {
  const { runSuite } = await import('../run-suite.ts');
  return runSuite(request);
}

/** What the daemon answered (with `shownFile`, it made the preflight first), or undefined: not served. */
type Served = { outcome: SuiteOutcome } | { preflight: PreflightProblem } | undefined;

async function serveByDaemon(request: SuiteRequest, shownFile: string | undefined, options: DaemonRunnerOptions): Promise<Served> {
  if (request.demo || process.platform === 'win32') return undefined;
  let path: string;
  try {
    path = socketPath();
  } catch {
    return undefined;
  }
  const { signal: _signal, demo: _demo, onProgress: _onProgress, ...runRequest } = request;
  const message: ClientMessage = {
    type: 'run',
    version: learnDsFingerprint(),
    exercise: exerciseFingerprint(request.exerciseDir),
    request: runRequest,
    ...(shownFile === undefined ? {} : { shownFile }),
  };
  // A stale daemon steps aside and the next one is ours (unless learn-ds changes meanwhile, as in
  // a tree being edited: then, after a few tries, a cold run).
  let why = 'stale';
  for (let attempt = 0; attempt < 3; attempt++) {
    let started = false;
    const socket = await connectOrStart(path, () => {
      started = true;
      options.onWait?.('starting');
    });
    if (!socket) {
      why = 'no answer';
      break;
    }
    const result = await exchange(
      socket,
      message,
      request,
      (warm) => {
        if (!started) options.onWait?.(warm ? 'warm' : 'cold');
      },
      options.onSent,
    );
    if (result.kind === 'outcome' || result.kind === 'preflight') {
      if (process.env.LEARN_DS_DEBUG) process.stderr.write(`learn-ds: the verifier daemon served this run${started ? ' (started for it)' : ''}\n`);
      return result.kind === 'outcome' ? { outcome: result.outcome } : { preflight: result.problem };
    }
    if (result.kind === 'interrupted') return { outcome: interrupted() };
    if (result.kind === 'lost') {
      why = 'lost';
      break;
    }
    // stale: wait for the old daemon's socket to go before starting ours.
    await new Promise((r) => setTimeout(r, 100));
  }
  if (process.env.LEARN_DS_DEBUG) process.stderr.write(`learn-ds: the verifier daemon did not serve this run (${why}); running cold\n`);
  return undefined;
}

/** A SuiteRunner through the daemon (the preflight is the caller's): cold when no daemon serves. */
export function daemonRunner(options: DaemonRunnerOptions = {}): (request: SuiteRequest) => Promise<SuiteOutcome> {
  const fallback = options.fallback ?? coldRun;
  return async (request) => {
    const served = await serveByDaemon(request, undefined, options);
    return served && 'outcome' in served ? served.outcome : fallback(request);
  };
}

/**
 * `verify`'s runner: the daemon makes the preflight too, with its warm esbuild, so that this
 * process loads neither esbuild nor the cold runner. When no daemon serves, both are made here.
 */
export function daemonVerifier(options: DaemonRunnerOptions = {}): PreflightingRunner {
  const fallback = options.fallback ?? coldRun;
  return {
    async checkAndRun(request, shownFile) {
      const served = await serveByDaemon(request, shownFile, options);
      if (served) return served;
      options.onSent?.();
      const problem = await preflight(request.subjectFile, shownFile);
      return problem ? { preflight: problem } : { outcome: await fallback(request) };
    },
  };
}

/** `learn-ds stop`: ends the daemon (and its vitest children); its pid, or undefined if none ran. */
export async function stopDaemon(): Promise<number | undefined> {
  let path: string;
  try {
    path = socketPath();
  } catch {
    return undefined;
  }
  const socket = await connect(path);
  if (!socket) return undefined;
  return new Promise((resolve) => {
    let pid: number | undefined;
    socket.setEncoding('utf8');
    socket.on(
      'data',
      lineReader((raw) => {
        const m = raw as DaemonMessage;
        if (m.type === 'stopped') pid = m.pid;
      }),
    );
    socket.once('close', () => resolve(pid));
    socket.once('error', () => resolve(pid));
    socket.write(`${JSON.stringify({ type: 'stop' } satisfies ClientMessage)}\n`);
  });
}

/**
 * The learner's type problems from the daemon's warm type check, if a daemon of this learn-ds is up
 * (none is started for it: the run starts one) and the daemon is not turned off; undefined whenever
 * it cannot answer, for a cold check; null after Ctrl-C (no check wanted any more).
 */
export async function daemonTypeCheck(file: string, limitMs: number): Promise<TypeProblems | null | undefined> {
  if (process.platform === 'win32' || !daemonEnabled() || !isAbsolute(file)) return undefined;
  let socket: Socket | undefined;
  try {
    socket = await connect(socketPath());
  } catch {
    return undefined;
  }
  if (!socket) return undefined;
  const open = socket;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (types: TypeProblems | null | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      open.destroy();
      resolve(types);
    };
    // Held open until the answer (a fraction of a second when warm): an unreferenced socket would let
    // the command end before it prints the answer it awaits. Ctrl-C lets it go at once.
    const guard = setTimeout(() => settle(undefined), limitMs);
    const onSignal = () => settle(null);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    open.setEncoding('utf8');
    open.on(
      'data',
      lineReader((raw) => {
        const m = raw as DaemonMessage;
        if (m.type === 'types') settle(m.types ?? undefined);
        else if (m.type === 'stale') settle(undefined);
      }),
    );
    open.once('close', () => settle(undefined));
    open.once('error', () => settle(undefined));
    open.write(`${JSON.stringify({ type: 'typecheck', version: learnDsFingerprint(), file } satisfies ClientMessage)}\n`);
  });
}
