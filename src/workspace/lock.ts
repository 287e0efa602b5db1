/**
 * A lock file beside a file, held around its read-modify-write, so that two learn-ds commands at
 * once (two `verify` runs in two terminals) do not lose one another's update. Created with O_EXCL
 * ('wx'), so only one process holds it; a lock left by a process that died is broken.
 */
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
  /** A lock older than this is left over (holders keep it for milliseconds): broken. */
  staleMs?: number;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
  constructor(
    readonly lockFile: string,
    readonly holder: number | undefined,
  ) {
    super(`another learn-ds command${holder ? ` (process ${holder})` : ''} kept ${lockFile} locked too long`);
  }
}

export function lockFileOf(file: string): string {
  return `${file}.lock`;
}

/** Pure: is a lock held by `pid` (undefined: not written yet), `ageMs` old, left over? */
export function isStale(pid: number | undefined, ageMs: number, alive: (pid: number) => boolean, staleMs: number): boolean {
  if (pid !== undefined && !alive(pid)) return true;
  return ageMs > staleMs;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(lock: string): Promise<{ pid: number | undefined; ageMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    const pid = Number.parseInt(text, 10);
    return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined, ageMs: Date.now() - info.mtimeMs };
  } catch {
    return undefined; // released meanwhile
  }
}

/** Runs `fn` holding the lock of `file`. Errors other than "someone holds it" (EACCES…) propagate. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, staleMs = 5_000 } = options;
  const lock = lockFileOf(file);
  await mkdir(dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await holderOf(lock);
    if (holder && isStale(holder.pid, holder.ageMs, processAlive, staleMs)) {
      await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new LockTimeoutError(lock, holder?.pid);
    await sleep(10 + Math.random() * 20);
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
