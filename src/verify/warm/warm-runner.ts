/**
 * The warm verifier: the same job as run-suite.ts (run a hidden suite, collect its report), with
 * the vitest start-up paid once instead of on every run. A long-lived child (child.ts) keeps one
 * vitest instance for one exercise and timeout; each run only re-runs the suite. The outcome has
 * the same shape and meaning as a cold run's, so judge() gives the same verdict.
 *
 * Hard limits are a cold run's (cpu-limit.ts): a run that outlives its CPU limit or backstop gets the child's whole process group
 * killed (the timeout verdict, with the check that was running), and a fresh child is started for
 * the next run. If the child cannot start at all, runs fall back to the cold path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV, runningFile } from '../protocol.ts';
import { followProgress, progressFile } from '../progress.ts';
import { OUTPUT_TAIL, hiddenConfig, killGroup, readReport, runSuite, type SuiteOutcome, type SuiteRequest } from '../run-suite.ts';
import { orphanGuard } from '../orphan-guard.ts';
import { RunLimit, groupCpuMs, limitsFor, testTimeoutMs } from '../cpu-limit.ts';
import { warmChildScript } from './child-script.ts';
import { kitBundle } from '../kit-bundle.ts';
import { REUSE_THREADS_ENV, isChildMessage, type ChildMessage, type RunMessage, type RunPhases } from './protocol.ts';

/** The end of a stream, at most `max` characters: learner code may print megabytes. */
export class Tail {
  private text = '';
  constructor(private readonly max: number) {}
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.max);
  }
  take(): string {
    const text = this.text;
    this.text = '';
    return text;
  }
}

type Phase = 'starting' | 'ready' | 'dead';

interface Child {
  process: ChildProcess;
  key: string;
  phase: Phase;
  /** Resolves true once vitest is up, false if the child failed or died before. */
  ready: Promise<boolean>;
  stdout: Tail;
  stderr: Tail;
  /** How the child ended, once it has. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * What a child serves: one exercise, one limit, one build of the kit (kit-bundle.ts). When another
 * build is in use (learn-ds was updated, or an author changed the harness), the next run gets a
 * new child: the old build is removed an hour after it was replaced.
 */
const keyOf = (r: Pick<SuiteRequest, 'exerciseDir' | 'timeoutMs'>, kit: string | undefined) => `${r.exerciseDir}\0${r.timeoutMs}\0${kit ?? ''}`;

export interface WarmTimings {
  /** From asking for a run to the child starting it (0 when the child was ready). */
  waitForChildMs: number;
  /** The run itself, from the message to "done" (or the kill). */
  runMs: number;
  /** The child's breakdown of the run, when it finished normally. */
  phases?: RunPhases;
}

export interface WarmRunnerOptions {
  /**
   * Let a worker thread that a run left clean serve the next run (prestarted-pool.ts says what
   * clean is): a run then costs a third to a tenth of its CPU, and watch's save → verdict loses a
   * thread's start. On unless false here or LEARN_DS_REUSE_THREADS=0 (then a new thread a run).
   */
  reuseThreads?: boolean;
}

export class WarmSuiteRunner {
  private child: Child | undefined;
  private readonly scratch = mkdtempSync(join(tmpdir(), 'learn-ds-watch-'));
  private runs = 0;
  private closed = false;
  /** Ends cold runs (fallbacks) when the runner is closed, as Ctrl-C ends them. */
  private readonly aborter = new AbortController();
  /** Set when the child cannot start: every later run is cold. */
  private coldOnly = false;
  /** Timings of the last run, for the benchmark. */
  lastTimings: WarmTimings | undefined;

  constructor(private readonly options: WarmRunnerOptions = {}) {}

  /** The process id of the current child, if any (tests check that a killed child is gone). */
  get childPid(): number | undefined {
    return this.child?.process.pid;
  }

  /** Starts a child for this exercise and timeout ahead of the first run (optional). */
  async prepare(request: Pick<SuiteRequest, 'exerciseDir' | 'timeoutMs'>): Promise<boolean> {
    return this.childFor(request).then((c) => c?.ready ?? false);
  }

  async run(request: SuiteRequest): Promise<SuiteOutcome> {
    if (this.closed) return interruptedOutcome();
    const asked = performance.now();
    // The hard limit counts from the request, start-up included, as a cold run's does.
    // It counts the CPU time of the child's group (less what an already warm child had used before).
    let timedOut = false;
    let victim: Child | undefined;
    const limit = new RunLimit(limitsFor(request.timeoutMs), () => {
      timedOut = true;
      if (victim) this.stopChild(victim);
    });
    const limited = (outcome: SuiteOutcome): SuiteOutcome => (limit.reached ? { ...outcome, limit: limit.reached } : outcome);
    try {
      const child = await this.childFor(request);
      victim = child;
      if (child) limit.follow(child.process.pid, child.phase === 'ready' && child.process.pid ? groupCpuMs(child.process.pid) : 0);
      if (child && !timedOut && (await child.ready) && !timedOut) return limited(await this.runIn(child, request, asked, () => timedOut));
      if (this.closed) return interruptedOutcome();
      if (timedOut) return limited({ ...interruptedOutcome(), interrupted: false, timedOut: true });
    } finally {
      limit.stop();
    }
    // vitest could not start in a child of ours: judge the cold way, from now on.
    this.coldOnly = true;
    this.stopChild();
    return runSuite({ ...request, signal: this.aborter.signal });
  }

  private async runIn(child: Child, request: SuiteRequest, asked: number, timedOut: () => boolean): Promise<SuiteOutcome> {
    const started = performance.now();
    const id = ++this.runs;
    const reportFile = join(this.scratch, `report-${id}.json`);
    child.stdout.take();
    child.stderr.take();
    const ended = new Promise<{ exitCode: number | undefined; signal: string | undefined; phases?: RunPhases }>((resolve) => {
      const onMessage = (message: unknown) => {
        if (isChildMessage(message) && message.type === 'done' && message.id === id) {
          child.process.off('message', onMessage);
          resolve({ exitCode: message.exitCode, signal: undefined, phases: message.phases });
        }
      };
      child.process.on('message', onMessage);
      void child.exit.then(({ code, signal }) => {
        child.process.off('message', onMessage);
        resolve({ exitCode: code ?? undefined, signal: signal ?? undefined });
      });
    });
    const message: RunMessage = {
      type: 'run',
      id,
      subjectFile: request.subjectFile,
      exports: request.exports,
      seed: request.seed,
      reportFile,
      ...(request.stopWhen ? { stopWhen: request.stopWhen } : {}),
      // A demo (authors' proofs draw it) runs in the same child: demo.ts instead of the hidden tests.
      ...(request.demo ? { demo: true } : {}),
    };
    // A send to a child that just died fails quietly: its exit ends the run below.
    child.process.send(message, () => undefined);
    const stopProgress = request.onProgress ? followProgress(reportFile, request.onProgress) : undefined;
    const { exitCode, signal, phases } = await ended;
    stopProgress?.();
    this.lastTimings = { waitForChildMs: started - asked, runMs: performance.now() - started, ...(phases ? { phases } : {}) };

    const { report, runningTest } = await readReport(reportFile);
    await Promise.all([rm(reportFile, { force: true }), rm(runningFile(reportFile), { force: true }), rm(progressFile(reportFile), { force: true })]);
    const outcome: SuiteOutcome = {
      report,
      exitCode,
      signal,
      timedOut: timedOut(),
      interrupted: this.closed && !timedOut(),
      outputTail: `${child.stdout.take()}\n${child.stderr.take()}`.trim(),
      runningTest,
    };
    // A child that was killed or died is replaced now, so that the next save finds one ready.
    if (child.phase === 'dead' && !this.closed) void this.childFor(request);
    return outcome;
  }

  /** Kills the child and its workers; later runs resolve as interrupted. */
  close(): void {
    this.closed = true;
    this.aborter.abort();
    this.stopChild();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private async childFor(request: Pick<SuiteRequest, 'exerciseDir' | 'timeoutMs'>): Promise<Child | undefined> {
    if (this.closed || this.coldOnly) return undefined;
    // The kit built first if a source changed (a child's own config would build it, and the next run restart it).
    const key = keyOf(request, (await kitBundle())?.build);
    if (this.child && this.child.key === key && this.child.phase !== 'dead') return this.child;
    this.stopChild();
    let script: string;
    try {
      script = await warmChildScript();
    } catch {
      return undefined;
    }
    if (this.closed) return undefined;
    // Another call may have started one while the script was being built: reuse it if it serves
    // this exercise, else it goes (never two children at once).
    if (this.child && this.child.key === key && this.child.phase !== 'dead') return this.child;
    this.stopChild();
    this.child = this.spawnChild(script, request, key);
    return this.child;
  }

  private spawnChild(script: string, request: Pick<SuiteRequest, 'exerciseDir' | 'timeoutMs'>, key: string): Child {
    // As a cold run's child, it kills its group should this process die without a chance to.
    const guard = orphanGuard();
    const proc = spawn(process.execPath, [...guard.nodeArgs, script], {
      cwd: request.exerciseDir,
      // The same environment as a cold run's child, plus where the config is.
      env: {
        ...process.env,
        ...guard.env,
        [ENV.exerciseDir]: request.exerciseDir,
        [ENV.testTimeoutMs]: String(testTimeoutMs(request.timeoutMs)),
        LEARN_DS_HIDDEN_CONFIG: hiddenConfig,
        FORCE_COLOR: '0',
        NO_COLOR: '1',
        CI: 'true',
        [REUSE_THREADS_ENV]: this.options.reuseThreads !== false && process.env[REUSE_THREADS_ENV] !== '0' ? '1' : '0',
      },
      // Its own process group, as in a cold run: a kill ends the child and all it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const stdout = new Tail(OUTPUT_TAIL / 2);
    const stderr = new Tail(OUTPUT_TAIL / 2);
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal }));
      proc.once('error', () => resolve({ code: null, signal: null }));
    });
    const child: Child = { process: proc, key, phase: 'starting', stdout, stderr, exit, ready: Promise.resolve(false) };
    child.ready = new Promise<boolean>((resolve) => {
      const onMessage = (message: unknown) => {
        if (!isChildMessage(message)) return;
        const m: ChildMessage = message;
        if (m.type === 'ready') {
          child.phase = 'ready';
          resolve(true);
        } else if (m.type === 'failed') {
          resolve(false);
        }
      };
      proc.on('message', onMessage);
      void exit.then(() => resolve(false));
    });
    void exit.then(() => {
      child.phase = 'dead';
    });
    return child;
  }

  /** Kills `child` (by default the current one) and all it started. */
  private stopChild(child = this.child): void {
    if (!child) return;
    child.phase = 'dead';
    killGroup(child.process.pid);
    if (this.child === child) this.child = undefined;
  }
}

function interruptedOutcome(): SuiteOutcome {
  return { report: null, exitCode: undefined, signal: undefined, timedOut: false, interrupted: true, outputTail: '', runningTest: undefined };
}
