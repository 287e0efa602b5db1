/**
 * Runs one hidden suite in a child process (vitest through execa) and collects what it reported.
 * The child is its own process group, so a timeout or Ctrl-C ends it and anything it started.
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { srcDir } from '../package-paths.ts';
import { ENV, runningFile, type RawReport } from './protocol.ts';
import { orphanGuard } from './orphan-guard.ts';
import { RunLimit, limitsFor, testTimeoutMs, type LimitHit } from './cpu-limit.ts';
import { followProgress, type RunProgress } from './progress.ts';

export interface SuiteRequest {
  exerciseDir: string;
  subjectFile: string;
  exports: readonly string[];
  seed: number;
  /** The run's limit: CPU time of its processes (cpu-limit.ts), with a much larger wall-clock backstop. */
  timeoutMs: number;
  /** Run the exercise's demo.ts (`learn-ds run`) instead of its hidden tests. */
  demo?: boolean;
  /** Aborting it ends the run as Ctrl-C does (watch, when the learner quits during a cold run). */
  signal?: AbortSignal;
  /** Skip the checks after the first failing one that mentions this text (ENV.stopWhen). */
  stopWhen?: string;
  /** Told how far the run has got, as it changes (progress.ts): for a progress bar, never the verdict. */
  onProgress?: (progress: RunProgress) => void;
}

export interface SuiteOutcome {
  /** null when the child ended without writing a report (killed, exited early, crashed). */
  report: RawReport | null;
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  /** When timedOut: which limit ended the run, and the CPU and real time it had used. */
  limit?: LimitHit;
  interrupted: boolean;
  /** The end of what the child printed, to explain a crash; never parsed for results. */
  outputTail: string;
  /** The check that was running when the child ended, when it ended without a report. */
  runningTest: string | undefined;
}

const vitestEntry = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
// From the package root, not import.meta.url: this module may run from the launcher's bundle.
export const hiddenConfig = join(srcDir, 'verify', 'hidden.config.ts');
export const OUTPUT_TAIL = 4_000;

/** The last `bytes` of a file: learner code may print megabytes, of which only the end matters. */
async function readTail(file: string, bytes: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * What a child left: its report (null when it ended without writing one) and, failing that, the
 * name of the check that was running (written by the setup file as each check starts).
 */
export async function readReport(reportFile: string): Promise<{ report: RawReport | null; runningTest: string | undefined }> {
  let report: RawReport | null = null;
  try {
    report = JSON.parse(await readFile(reportFile, 'utf8')) as RawReport;
  } catch {
    report = null;
  }
  const runningTest = report ? undefined : await readFile(runningFile(reportFile), 'utf8').catch(() => undefined);
  return { report, runningTest };
}

export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function runSuite(request: SuiteRequest): Promise<SuiteOutcome> {
  const scratch = await mkdtemp(join(tmpdir(), 'learn-ds-verify-'));
  const reportFile = join(scratch, 'report.json');
  // Output goes to files rather than memory, so a learner printing megabytes costs disk, not a crash.
  const stdoutFile = join(scratch, 'stdout.log');
  const stderrFile = join(scratch, 'stderr.log');
  // Listen before spawning: a Ctrl-C that lands between the spawn and the listener would
  // otherwise end this process with the default action and leave the child running.
  let timedOut = false;
  let interrupted = false;
  let childPid: number | undefined;
  const onSignal = () => {
    interrupted = true;
    killGroup(childPid);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  request.signal?.addEventListener('abort', onSignal);
  if (request.signal?.aborted) interrupted = true;
  // The child kills its group if this process dies without a chance to (SIGKILL): orphan-guard.ts.
  const guard = orphanGuard();
  const child = execa(process.execPath, [...guard.nodeArgs, vitestEntry, 'run', '--config', hiddenConfig], {
    cwd: request.exerciseDir,
    env: {
      ...guard.env,
      [ENV.subject]: request.subjectFile,
      [ENV.exports]: request.exports.join(','),
      [ENV.seed]: String(request.seed),
      [ENV.report]: reportFile,
      [ENV.exerciseDir]: request.exerciseDir,
      [ENV.testTimeoutMs]: String(testTimeoutMs(request.timeoutMs)),
      ...(request.demo ? { [ENV.demo]: '1' } : {}),
      ...(request.stopWhen ? { [ENV.stopWhen]: request.stopWhen } : {}),
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      CI: 'true',
    },
    detached: true,
    reject: false,
    stdin: 'ignore',
    stdout: { file: stdoutFile },
    stderr: { file: stderrFile },
  });
  childPid = child.pid;
  if (interrupted) killGroup(childPid);
  const limit = new RunLimit(limitsFor(request.timeoutMs), () => {
    timedOut = true;
    killGroup(childPid);
  });
  limit.follow(childPid);
  const stopProgress = request.onProgress ? followProgress(reportFile, request.onProgress) : undefined;

  try {
    const result = await child;
    const { report, runningTest } = await readReport(reportFile);
    return {
      runningTest,
      report,
      exitCode: result.exitCode,
      signal: result.signal ?? undefined,
      timedOut,
      ...(limit.reached ? { limit: limit.reached } : {}),
      interrupted,
      // A crash's explanation is at the end of stderr, so that comes last.
      outputTail: `${await readTail(stdoutFile, OUTPUT_TAIL / 2)}\n${await readTail(stderrFile, OUTPUT_TAIL / 2)}`.trim(),
    };
  } finally {
    limit.stop();
    stopProgress?.();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    request.signal?.removeEventListener('abort', onSignal);
    killGroup(childPid);
    await rm(scratch, { recursive: true, force: true });
  }
}
