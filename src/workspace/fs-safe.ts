/** File writes that never leave a half-written file behind, and backups that never overwrite. */
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes through a temporary file and a rename, so a crash leaves the old file or the new one. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/** A timestamp that sorts and is safe in file names: 2026-11-26T10-58-03-123Z. */
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Copies `file` into `backupDir` under a new, time-stamped name and returns that path. */
export async function backupFile(file: string, backupDir: string): Promise<string> {
  await mkdir(backupDir, { recursive: true });
  const stamp = fileStamp();
  for (let n = 1; ; n++) {
    const target = join(backupDir, `${stamp}${n > 1 ? `-${n}` : ''}-${basename(file)}`);
    try {
      await copyFile(file, target, constants.COPYFILE_EXCL);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
