/**
 * How far a hidden run has got, passed from the vitest child to the CLI as a small JSON file
 * beside the report (`report.json.progress`), replaced atomically (written aside, then renamed),
 * so a reader never sees half a file. Writers take turns, never overlap: the reporter (in the
 * child's main process) writes it once as the run starts, then each test file's worker, one
 * after another (one worker, files in sequence: hidden.config.ts), reads it and carries it on.
 * The parent polls it (followProgress) a few times a second. Progress is for show only: a missing
 * or unreadable file costs the bar, never the verdict.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface RunProgress {
  /** Test files in the run (known from the start). */
  files: number;
  /** Test files finished. */
  filesDone: number;
  /** Checks counted so far: those of the files started (a file's checks are known once it starts). */
  checks: number;
  /** Checks finished, passed or failed. */
  checksDone: number;
  /** The file under way: its checks, and how many of them are finished. */
  file?: { checks: number; done: number };
  /** Within the check under way: seeds of its scenario run so far (checkScenario). */
  seeds?: { done: number; of: number };
}

export function progressFile(reportFile: string): string {
  return `${reportFile}.progress`;
}

export function writeProgress(reportFile: string, progress: RunProgress): void {
  const file = progressFile(reportFile);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(progress));
    renameSync(`${file}.tmp`, file);
  } catch {
    // The scratch folder is gone (the run is over) or cannot be written: no bar, same verdict.
  }
}

export function readProgress(reportFile: string): RunProgress | undefined {
  try {
    const value = JSON.parse(readFileSync(progressFile(reportFile), 'utf8')) as Partial<RunProgress>;
    return isProgress(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isProgress(value: Partial<RunProgress> | null): value is RunProgress {
  return value !== null && typeof value === 'object' && [value.files, value.filesDone, value.checks, value.checksDone].every((n) => typeof n === 'number' && Number.isFinite(n));
}

/** The share of the run done, 0 to 1: files in equal parts, a file's checks in equal parts, a check by its seeds. */
export function progressFraction(p: RunProgress): number {
  if (p.files <= 0) return 0;
  let inFile = 0;
  if (p.file && p.file.checks > 0) {
    const seeds = p.seeds && p.seeds.of > 0 ? Math.min(1, p.seeds.done / p.seeds.of) : 0;
    inFile = Math.min(1, (p.file.done + (p.file.done < p.file.checks ? seeds : 0)) / p.file.checks);
  }
  return Math.max(0, Math.min(1, (p.filesDone + inFile) / p.files));
}

/** Whether every check of the run is counted (every file has started): then `checks` is the total. */
export function totalKnown(p: RunProgress): boolean {
  return p.filesDone + (p.file ? 1 : 0) >= p.files;
}

/**
 * Calls `onProgress` with the run's progress each time it changes, polling every `everyMs`;
 * returns the function that stops it.
 */
export function followProgress(reportFile: string, onProgress: (progress: RunProgress) => void, everyMs = 250): () => void {
  let last = '';
  const poll = () => {
    const progress = readProgress(reportFile);
    if (!progress) return;
    const key = JSON.stringify(progress);
    if (key === last) return;
    last = key;
    onProgress(progress);
  };
  const timer = setInterval(poll, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
