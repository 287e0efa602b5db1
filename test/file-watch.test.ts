// The file watcher against a real file system: plain saves, rename-saves (write a temp file, rename
// it over the old one, as vim with backupcopy=no does), deletion and re-creation, and a folder that
// is deleted and created again. Each test waits for the watcher's report, with a deadline.
import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { watchFile, type FileWatch } from '../src/watch/file-watch.ts';
import { tempDir } from './support/cli.ts';

/** The watcher's reports, and a way to wait for the next one. */
function recorder() {
  const reports: boolean[] = [];
  let wake: (() => void) | undefined;
  return {
    reports,
    onSettled: (exists: boolean) => {
      reports.push(exists);
      wake?.();
    },
    /** Resolves once there are `n` reports; fails after `ms`. */
    async until(n: number, ms = 5_000): Promise<boolean[]> {
      const deadline = Date.now() + ms;
      while (reports.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${reports.length} of ${n} reports after ${ms} ms: ${JSON.stringify(reports)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50).unref();
        });
      }
      return reports;
    },
  };
}

let watch: FileWatch | undefined;
afterEach(() => watch?.close());

describe('watchFile', () => {
  test('a save is reported once, after the burst of events it makes', async () => {
    const file = join(tempDir(), 'bucket.ts');
    writeFileSync(file, 'v1');
    const r = recorder();
    watch = watchFile(file, r.onSettled, { quietMs: 40 });
    writeFileSync(file, 'v2');
    writeFileSync(file, 'v2 and more');
    expect(await r.until(1)).toEqual([true]);
  });

  test('a rename-save (temp file renamed over the old one) is seen, and so is the next save', async () => {
    const dir = tempDir();
    const file = join(dir, 'bucket.ts');
    writeFileSync(file, 'v1');
    const r = recorder();
    watch = watchFile(file, r.onSettled, { quietMs: 30 });
    writeFileSync(join(dir, '.bucket.ts.swp'), 'v2');
    renameSync(join(dir, '.bucket.ts.swp'), file);
    await r.until(1);
    // The watch must now follow the new file, not the inode that was replaced.
    writeFileSync(file, 'v3');
    expect(await r.until(2)).toEqual([true, true]);
  });

  test('a deletion is reported as missing, a re-creation as back', async () => {
    const file = join(tempDir(), 'bucket.ts');
    writeFileSync(file, 'v1');
    const r = recorder();
    watch = watchFile(file, r.onSettled, { quietMs: 30 });
    unlinkSync(file);
    await r.until(1);
    writeFileSync(file, 'v2');
    expect(await r.until(2)).toEqual([false, true]);
  });

  test('other files in the folder are ignored', async () => {
    const dir = tempDir();
    const file = join(dir, 'bucket.ts');
    const other = join(dir, 'other.ts');
    writeFileSync(file, 'v1');
    writeFileSync(other, 'x');
    const r = recorder();
    watch = watchFile(file, r.onSettled, { quietMs: 30 });
    // A second watcher on the other file, with the same quiet time, is the barrier: once it has
    // reported, the first would have too, had the other file's events reached it.
    const sentinel = recorder();
    const sentinelWatch = watchFile(other, sentinel.onSettled, { quietMs: 30 });
    try {
      writeFileSync(other, 'y');
      await sentinel.until(1);
      expect(r.reports).toEqual([]);
    } finally {
      sentinelWatch.close();
    }
  });

  test('the folder deleted and created again: the poll re-arms the watch on the new folder', async () => {
    const root = tempDir();
    const dir = join(root, '28-upstream-resiliency');
    mkdirSync(dir);
    const file = join(dir, 'bucket.ts');
    writeFileSync(file, 'v1');
    const r = recorder();
    watch = watchFile(file, r.onSettled, { quietMs: 30, pollMs: 100 });
    rmSync(dir, { recursive: true });
    await r.until(1);
    expect(r.reports.at(-1)).toBe(false);
    mkdirSync(dir);
    writeFileSync(file, 'v2');
    await r.until(r.reports.length + 1);
    expect(r.reports.at(-1)).toBe(true);
    const seen = r.reports.length;
    writeFileSync(file, 'v3 is longer');
    expect((await r.until(seen + 1)).at(-1)).toBe(true);
  });
});
