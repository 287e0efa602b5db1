/**
 * Reads and writes a workspace's progress file. A file that cannot be read is never silently
 * replaced: it is copied aside and reported with both paths, and the command stops. Writes hold
 * the file's lock (lock.ts), so that concurrent commands each keep their update.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-safe.ts';
import { withLock } from './lock.ts';
import { emptyProgress, parseProgress, ProgressFormatError, serializeProgress, type Progress } from './progress.ts';
import { CMD } from '../command.ts';

export class ProgressFileError extends Error {
  override name = 'ProgressFileError';
  constructor(
    readonly file: string,
    readonly backup: string,
    reason: string,
    newer = false,
  ) {
    super(
      `learn-ds cannot read its progress file ${file}: ${reason}.\n` +
        `A copy of it is kept at ${backup}.\n` +
        (newer
          ? 'This learn-ds leaves the file as it is. Upgrade learn-ds to go on with it: ' +
            'in the folder you cloned it into, `git pull && npm install`.'
          : `Fix or remove the file, or run \`${CMD} reset --progress\` to start your progress afresh ` +
            `(your exercise files are kept).`),
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
    // node:crypto loaded here, on this rare path: it is ~7 ms of every command's start otherwise.
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 10);
    const backup = join(file, '..', `progress.unreadable-${digest}.json`);
    if (!existsSync(backup)) {
      await mkdir(join(file, '..'), { recursive: true });
      await copyFile(file, backup);
    }
    throw new ProgressFileError(file, backup, error.message, error.newerFormat !== undefined);
  }
}

export async function saveProgress(file: string, progress: Progress): Promise<void> {
  await withLock(file, () => writeFileAtomic(file, serializeProgress(progress)));
}

/**
 * Reads, changes and writes progress in one step under the file's lock, so that a change made
 * meanwhile by another learn-ds command is kept (an attempt counted, a pass not lost).
 */
export async function updateProgress(file: string, change: (p: Progress) => Progress): Promise<Progress> {
  return withLock(file, async () => {
    const next = change(await loadProgress(file));
    await writeFileAtomic(file, serializeProgress(next));
    return next;
  });
}
