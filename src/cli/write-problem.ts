/**
 * Why learn-ds could not write, and where, in words a learner can act on: a read-only workspace,
 * a full disk, a progress file locked by another command. Pure, so the wording is tested without I/O.
 */
import { dirname } from 'node:path';
import { LockTimeoutError } from '../workspace/lock.ts';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
};

export interface WriteFailure {
  /** e.g. "cannot write in /home/me/learn-ds/.learn-ds (permission denied)" */
  what: string;
  fix: string;
}

/** The failure, or undefined when `error` is not a failure to write. */
export function writeFailure(error: unknown): WriteFailure | undefined {
  if (error instanceof LockTimeoutError) {
    return {
      what: `cannot update ${dirname(error.lockFile)}: ${error.message}`,
      fix: `If no other learn-ds command is running, delete ${error.lockFile} and try again`,
    };
  }
  const e = error as Partial<NodeJS.ErrnoException> & { dest?: string };
  const reason = e.code ? REASONS[e.code] : undefined;
  if (!reason) return undefined;
  // copyFile names its source in `path` and its target in `dest`. The folder is named, not the
  // file: atomic writes go through a temporary file whose name would only confuse.
  const where = e.dest ?? e.path;
  const fix = e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'Free some disk space' : 'Make it writable';
  return {
    what: where ? `cannot write in ${dirname(where)} (${reason})` : `cannot write (${reason}): ${e.message ?? ''}`,
    fix: `${fix}, or keep your workspace elsewhere with --workspace DIR`,
  };
}

/** The failure as one message (after "learn-ds "), or undefined. */
export function writeProblem(error: unknown): string | undefined {
  const failure = writeFailure(error);
  return failure && `${failure.what}. ${failure.fix}`;
}
