/**
 * Reads and writes a workspace's progress file. A file that cannot be read is never silently
 * replaced: it is copied aside and reported with both paths, and the command stops.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-safe.ts';
import { emptyProgress, parseProgress, ProgressFormatError, serializeProgress, type Progress } from './progress.ts';

export class ProgressFileError extends Error {
  override name = 'ProgressFileError';
  constructor(
    readonly file: string,
    readonly backup: string,
    reason: string,
  ) {
    super(
      `learn-ds cannot read its progress file ${file}: ${reason}.\n` +
        `A copy of it is kept at ${backup}.\n` +
        `Fix or remove the file, or run \`learn-ds reset --progress\` to start your progress afresh ` +
        `(your exercise files are kept).`,
    );
  }
}

export async function loadProgress(file: string): Promise<Progress> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyProgress();
    throw error;
  }
  try {
    return parseProgress(text);
  } catch (error) {
    if (!(error instanceof ProgressFormatError)) throw error;
    // Named by content, so reading the same broken file twice keeps one copy, not one per run.
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 10);
    const backup = join(file, '..', `progress.unreadable-${digest}.json`);
    if (!existsSync(backup)) {
      await mkdir(join(file, '..'), { recursive: true });
      await copyFile(file, backup);
    }
    throw new ProgressFileError(file, backup, error.message);
  }
}

export async function saveProgress(file: string, progress: Progress): Promise<void> {
  await writeFileAtomic(file, serializeProgress(progress));
}

/**
 * Reads, changes and writes progress in one step, re-reading just before the write so that a
 * change made meanwhile by another learn-ds command is kept.
 */
export async function updateProgress(file: string, change: (p: Progress) => Progress): Promise<Progress> {
  const next = change(await loadProgress(file));
  await saveProgress(file, next);
  return next;
}
