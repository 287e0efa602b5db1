/**
 * Tells when the learner's file has been saved, deleted or re-created.
 *
 * Why node:fs.watch on the file's folder rather than on the file, or a library: editors that save
 * by rename (write a temp file, rename it over the old one: vim with backupcopy=no, many IDEs)
 * replace the file's inode, and a watch on the file itself keeps following the old, deleted one.
 * A watch on the folder sees every rename, deletion and creation of the name, on Linux (inotify),
 * macOS (FSEvents) and Windows alike, with no dependency and no added delay (chokidar's atomic-save
 * handling holds back a deletion for 100 ms to see whether the file comes back, and a deletion
 * must show at once here). Its known gaps are covered by a slow stat poll: events
 * that never come (network and container-mounted folders), a folder deleted and re-created (the
 * watch is re-armed on the new one), and platforms that give no file name with an event.
 * Bursts of events are debounced into one report, made once things are quiet.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Debouncer, realScheduler, type Scheduler } from './debounce.ts';

export interface FileWatchOptions {
  /**
   * Quiet time after the last event before reporting (ms). An editor's save, even by rename, is
   * a burst of events well under a millisecond apart; every ms here is added to save-to-verdict.
   * A burst cut in two costs only a wasted run: a later save outdates the verdict of an earlier one.
   */
  quietMs?: number;
  /** How often the safety-net poll stats the file (ms). */
  pollMs?: number;
  scheduler?: Scheduler;
}

export interface FileWatch {
  close(): void;
}

const MISSING = 'missing';

/** What identifies a version of the file: a save changes the inode, size or mtime. */
function signature(path: string): string {
  try {
    const s = statSync(path);
    return s.isFile() ? `${s.ino}:${s.size}:${s.mtimeMs}` : MISSING;
  } catch {
    return MISSING;
  }
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** Calls `onSettled(exists)` after each save, deletion or re-creation of `file`, once quiet. */
export function watchFile(file: string, onSettled: (exists: boolean) => void, options: FileWatchOptions = {}): FileWatch {
  const { quietMs = 5, pollMs = 1000, scheduler = realScheduler } = options;
  const dir = dirname(file);
  const name = basename(file);
  let last = signature(file);
  let closed = false;
  let dirWatcher: FSWatcher | undefined;
  let dirInode: number | undefined;

  const debouncer = new Debouncer(
    () => {
      if (closed) return;
      last = signature(file);
      onSettled(last !== MISSING);
    },
    quietMs,
    scheduler,
  );

  const disarm = () => {
    dirWatcher?.close();
    dirWatcher = undefined;
  };
  const arm = () => {
    const ino = inode(dir);
    if (dirWatcher && ino === dirInode) return;
    disarm();
    if (ino === undefined) return; // the folder is gone: the poll re-arms once it is back
    try {
      dirWatcher = watch(dir, { persistent: true }, (_event, filename) => {
        if (filename === null || filename === name) debouncer.trigger();
      });
      dirWatcher.on('error', () => {
        disarm();
        debouncer.trigger();
      });
      dirInode = ino;
    } catch {
      disarm();
    }
  };

  let pollHandle: unknown;
  const poll = () => {
    if (closed) return;
    arm();
    if (!debouncer.pending && signature(file) !== last) debouncer.trigger();
    pollHandle = scheduler.set(poll, pollMs);
  };

  arm();
  pollHandle = scheduler.set(poll, pollMs);
  return {
    close() {
      closed = true;
      debouncer.cancel();
      scheduler.clear(pollHandle);
      disarm();
    },
  };
}
