/**
 * The verifier daemon: a long-lived process that keeps warm verifiers (warm/warm-runner.ts, one
 * vitest child per exercise) for `verify` to reuse, so that only the first verify after a pause
 * pays vitest's start-up. Started by the first `verify` (client.ts), detached from the terminal.
 *
 * - Verdicts are a cold run's: each run goes through WarmSuiteRunner, whose outcomes the parity
 *   test ties to cold ones; a runner is replaced when its exercise's files change, and the whole
 *   daemon steps aside (exits) when a client runs another learn-ds (code, Node or environment).
 * - Runs of one exercise are queued, never overlapped; a client that goes away (Ctrl-C) takes its
 *   run with it: the runner's child is killed.
 * - Type checks of the learner's file (typecheck.ts) go to one warm TypeScript helper
 *   (type-checker.ts) that keeps the parsed lib and kit files between checks.
 * - It exits after its idle time (10 minutes by default), on `learn-ds stop`, on SIGTERM, and
 *   kills its children first; they also die by themselves if it is killed (orphan guard).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { WarmSuiteRunner } from '../warm/warm-runner.ts';
import { learnDsFingerprint } from './fingerprint.ts';
import { WarmTypeChecker } from './type-checker.ts';
import { preflight } from '../preflight.ts';
import { idleMs, lineReader, socketPath, type ClientMessage, type DaemonMessage, type RunRequest } from './protocol.ts';

/** At most this many exercises keep a vitest child (each holds ~150 MB). */
const MAX_RUNNERS = 2;

interface Entry {
  runner: WarmSuiteRunner;
  exercise: string;
  /** Runs of this exercise, one after another. */
  queue: Promise<void>;
  /** Timeouts (ms) this runner has completed a run with: its child for them is up. */
  warm: Set<number>;
  busy: boolean;
  lastUsed: number;
}

function isClientMessage(value: unknown): value is ClientMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'run' || type === 'typecheck' || type === 'stop';
}

export async function runDaemon(): Promise<void> {
  const version = learnDsFingerprint();
  const path = socketPath();
  const entries = new Map<string, Entry>();
  // Started by the first type check: a daemon used with type checks off never loads TypeScript.
  const types = new WarmTypeChecker();
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let server: Server | undefined;
  let stopping = false;
  let retiring = false;

  /** Leaves the socket's path to a successor: a new daemon may listen there from now on. */
  const releasePath = () => {
    if (retiring) return;
    retiring = true;
    server?.close();
    try {
      rmSync(path, { force: true });
    } catch {
      // gone already
    }
  };
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    for (const entry of entries.values()) entry.runner.close();
    entries.clear();
    types.close();
    releasePath();
    // Children were killed by close(); nothing else keeps this process.
    setTimeout(() => process.exit(0), 50).unref();
  };
  /**
   * Another learn-ds asked (its code, Node or environment differ): this daemon takes no new run,
   * frees the path for that one's own daemon, and exits once the runs it accepted are done. A run
   * in flight for another terminal is never cut short by it (it would read as a Ctrl-C there).
   */
  const retire = () => {
    releasePath();
    if (active === 0) shutdown();
  };
  const touch = () => {
    if (idleTimer) clearTimeout(idleTimer);
    if (retiring && active === 0) return shutdown();
    idleTimer = active === 0 ? setTimeout(shutdown, idleMs()) : undefined;
  };

  const entryFor = (dir: string, exercise: string): Entry => {
    let entry = entries.get(dir);
    if (entry && entry.exercise !== exercise && !entry.busy) {
      entry.runner.close();
      entries.delete(dir);
      entry = undefined;
    }
    if (!entry) {
      entry = { runner: new WarmSuiteRunner(), exercise, queue: Promise.resolve(), warm: new Set(), busy: false, lastUsed: Date.now() };
      entries.set(dir, entry);
      // The least recently used idle runner goes when there are too many.
      const idle = [...entries.entries()].filter(([d, e]) => d !== dir && !e.busy).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      while (entries.size > MAX_RUNNERS && idle.length > 0) {
        const [d, e] = idle.shift()!;
        e.runner.close();
        entries.delete(d);
      }
    }
    return entry;
  };

  const serve = (socket: Socket) => {
    const send = (m: DaemonMessage) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
    };
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on(
      'data',
      lineReader((message) => {
        if (!isClientMessage(message)) return;
        if (message.type === 'stop') {
          send({ type: 'stopped', pid: process.pid });
          socket.end();
          shutdown();
          return;
        }
        if (message.version !== version || retiring) {
          send({ type: 'stale' });
          socket.end();
          retire();
          return;
        }
        if (message.type === 'typecheck') {
          // Counted as a run: the daemon neither idles out nor retires under it.
          active++;
          touch();
          void types
            .check(message.file)
            .then((problems) => {
              send({ type: 'types', types: problems ?? null });
              socket.end();
            })
            .finally(() => {
              active--;
              touch();
            });
          return;
        }
        const { request, shownFile } = message;
        // Counted from here: the daemon neither idles out nor retires under the preflight or the run.
        active++;
        touch();
        const done = () => {
          active--;
          touch();
        };
        // The preflight first, as verify's own (preflight.ts) with this process's warm esbuild: a
        // problem in the file is the answer, without a run. If it cannot run at all, the connection
        // is dropped and the client verifies cold, its own preflight included.
        (shownFile === undefined ? Promise.resolve(null) : preflight(request.subjectFile, shownFile)).then(
          (problem) => {
            if (problem) {
              send({ type: 'preflight', problem });
              socket.end();
              done();
            } else enqueue(request, message.exercise, socket, send, done);
          },
          () => {
            socket.destroy();
            done();
          },
        );
      }),
    );
  };

  /** Queues a run behind the others of its exercise; `done` when it is over (or dropped). */
  const enqueue = (request: RunRequest, exercise: string, socket: Socket, send: (m: DaemonMessage) => void, done: () => void) => {
    const entry = entryFor(request.exerciseDir, exercise);
    send({ type: 'accepted', warm: entry.warm.has(request.timeoutMs) && !entry.busy, pid: process.pid });
    entry.queue = entry.queue.then(async () => {
      try {
        if (socket.destroyed || stopping) return;
        entry.busy = true;
        // The client left (Ctrl-C): its run goes, and the child running it with the runner;
        // the runs queued behind it get a fresh runner.
        const runner = entry.runner;
        let gone = false;
        const onClose = () => {
          gone = true;
          runner.close();
          if (entry.runner === runner) {
            entry.runner = new WarmSuiteRunner();
            entry.warm.clear();
          }
        };
        socket.once('close', onClose);
        const outcome = await runner.run({ ...request, onProgress: (progress) => send({ type: 'progress', progress }) });
        socket.off('close', onClose);
        if (!gone) {
          if (!outcome.interrupted && !outcome.timedOut) entry.warm.add(request.timeoutMs);
          else entry.warm.delete(request.timeoutMs);
          send({ type: 'outcome', outcome });
          socket.end();
        }
      } finally {
        entry.busy = false;
        entry.lastUsed = Date.now();
        done();
      }
    });
  };

  server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    const listen = (retry: boolean) => {
      server!.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE' || !retry) return reject(error);
        // A socket file is there: another daemon (then leave it be) or a dead one's leftover.
        const probe = createConnection(path);
        probe.once('connect', () => {
          probe.destroy();
          reject(new Error('another daemon serves this install'));
        });
        probe.once('error', () => {
          rmSync(path, { force: true });
          listen(false);
        });
      });
      server!.listen(path, () => resolve());
    };
    listen(true);
  });
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', () => undefined);
  touch();
}
