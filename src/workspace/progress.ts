/**
 * Progress: which exercises a learner started, passed and took hints for. Pure data and rules here;
 * reading and writing the file is in progress-store.ts.
 */
export const PROGRESS_VERSION = 1;

export interface ExerciseProgress {
  status: 'started' | 'passed';
  startedAt: string;
  passedAt?: string;
  /** How many hints the learner has seen, in order. */
  hintsSeen: number;
  /** verify runs, counted whether they passed or not. */
  attempts: number;
}

export interface Progress {
  version: typeof PROGRESS_VERSION;
  current: string | null;
  exercises: Record<string, ExerciseProgress>;
}

export function emptyProgress(): Progress {
  return { version: PROGRESS_VERSION, current: null, exercises: {} };
}

export class ProgressFormatError extends Error {
  override name = 'ProgressFormatError';
  constructor(
    message: string,
    /** Set when the file was written by a newer learn-ds: upgrading, not resetting, is the fix. */
    readonly newerFormat?: number,
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses the progress file's text; throws ProgressFormatError saying what is wrong. */
export function parseProgress(text: string): Progress {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProgressFormatError(`it is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(json)) throw new ProgressFormatError('it does not hold a JSON object');
  if (typeof json.version === 'number' && json.version > PROGRESS_VERSION) {
    throw new ProgressFormatError(
      `it was written by a newer learn-ds (format ${json.version}; this one reads format ${PROGRESS_VERSION}); upgrade learn-ds`,
      json.version,
    );
  }
  if (json.version !== PROGRESS_VERSION) throw new ProgressFormatError(`its format version ${JSON.stringify(json.version)} is unknown`);
  if (json.current !== null && typeof json.current !== 'string') throw new ProgressFormatError('"current" is neither an id nor null');
  if (!isRecord(json.exercises)) throw new ProgressFormatError('"exercises" is not an object');
  for (const [id, entry] of Object.entries(json.exercises)) {
    const ok =
      isRecord(entry) &&
      (entry.status === 'started' || entry.status === 'passed') &&
      typeof entry.startedAt === 'string' &&
      Number.isInteger(entry.hintsSeen) &&
      Number.isInteger(entry.attempts);
    if (!ok) throw new ProgressFormatError(`the entry for "${id}" is malformed`);
  }
  return json as unknown as Progress;
}

export function serializeProgress(progress: Progress): string {
  return `${JSON.stringify(progress, null, 2)}\n`;
}

function entryFor(progress: Progress, id: string, now: Date): ExerciseProgress {
  return progress.exercises[id] ?? { status: 'started', startedAt: now.toISOString(), hintsSeen: 0, attempts: 0 };
}

export function markStarted(progress: Progress, id: string, now = new Date()): Progress {
  return { ...progress, current: id, exercises: { ...progress.exercises, [id]: entryFor(progress, id, now) } };
}

export function recordAttempt(progress: Progress, id: string, passed: boolean, now = new Date()): Progress {
  const entry = entryFor(progress, id, now);
  const next: ExerciseProgress = { ...entry, attempts: entry.attempts + 1 };
  if (passed && entry.status !== 'passed') {
    next.status = 'passed';
    next.passedAt = now.toISOString();
  }
  return { ...progress, exercises: { ...progress.exercises, [id]: next } };
}

export function recordHintSeen(progress: Progress, id: string, upTo: number, now = new Date()): Progress {
  const entry = entryFor(progress, id, now);
  return { ...progress, exercises: { ...progress.exercises, [id]: { ...entry, hintsSeen: Math.max(entry.hintsSeen, upTo) } } };
}

export function isPassed(progress: Progress, id: string): boolean {
  return progress.exercises[id]?.status === 'passed';
}

/**
 * The exercise `next` moves to: the first one not yet passed after the current one in book order,
 * wrapping around to pick up any that were skipped; null when every exercise is passed.
 */
export function nextExerciseId(progress: Progress, orderedIds: readonly string[]): string | null {
  const start = progress.current === null ? 0 : orderedIds.indexOf(progress.current) + 1;
  for (let i = 0; i < orderedIds.length; i++) {
    const id = orderedIds[(start + i) % orderedIds.length]!;
    if (!isPassed(progress, id)) return id;
  }
  return null;
}
