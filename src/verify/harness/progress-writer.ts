/**
 * The worker's side of a run's progress (../progress.ts): the setup file says when its test file
 * and each check start and end, checkScenario how many seeds it has run. Writes (a small file
 * renamed into place) start a little into a file and are spaced out; the state a file's end leaves
 * is written when the next file's worker carries it on. Nothing happens outside a hidden run (no
 * report path).
 */
import { ENV } from '../protocol.ts';
import { readProgress, writeProgress, type RunProgress } from '../progress.ts';

/** At most one write per this many ms while a check runs (the parent reads 4×/s). */
const SPACING_MS = 100;
/**
 * Nothing is written in a file's first this many ms: the CLI shows a bar only after 1 s, and a
 * short run (most of watch's) would spend more on its writes (a file renamed into place, several
 * ms each) than on some suites' checks.
 */
const FIRST_WRITE_MS = 250;

interface WriterState {
  progress: RunProgress | undefined;
  lastWrite: number;
  /** When the current file started (performance.now()). */
  started: number;
  /** Whether the current file has written its progress yet. */
  wrote: boolean;
}

// On globalThis: the setup file and the harness reach this module by different names, and one
// state must serve both even should they be two instances of it.
const KEY = Symbol.for('learn-ds.progress-writer');
const state: WriterState = ((globalThis as Record<symbol, WriterState | undefined>)[KEY] ??= { progress: undefined, lastWrite: 0, started: 0, wrote: false });

function flush(force: boolean): void {
  const report = process.env[ENV.report];
  if (!report || !state.progress) return;
  const now = performance.now();
  if (!force && (now - state.started < FIRST_WRITE_MS || now - state.lastWrite < SPACING_MS)) return;
  state.lastWrite = now;
  state.wrote = true;
  writeProgress(report, state.progress);
}

/** A test file starts with `checks` checks to run: carried on from what the run has done so far. */
export function fileStarted(checks: number): void {
  const report = process.env[ENV.report];
  if (!report) return;
  const before = readProgress(report) ?? { files: 1, filesDone: 0, checks: 0, checksDone: 0 };
  state.progress = { files: before.files, filesDone: before.filesDone, checks: before.checks + checks, checksDone: before.checksDone, file: { checks, done: 0 } };
  state.started = performance.now();
  state.wrote = false;
}

export function checkStarted(): void {
  if (!state.progress) return;
  delete state.progress.seeds;
  flush(false);
}

export function checkEnded(): void {
  const p = state.progress;
  if (!p) return;
  delete p.seeds;
  p.checksDone++;
  if (p.file) p.file.done++;
  flush(false);
}

export function fileEnded(): void {
  const p = state.progress;
  if (!p) return;
  delete p.seeds;
  delete p.file;
  p.filesDone++;
  // The state a file's end leaves is written if the bar may be showing, or for the next file to
  // carry on (the reporter wrote how many files the run has).
  if (state.wrote || p.filesDone < p.files) flush(true);
  state.progress = undefined;
}

/** checkScenario: `done` of its `of` seeds have run. */
export function seedsDone(done: number, of: number): void {
  if (!state.progress) return;
  state.progress.seeds = { done, of };
  flush(done === of);
}
