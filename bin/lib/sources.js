// What learn-ds's own code is, as stamps (size and modification time) of every file and folder
// under src/ (a folder's stamp changes when an entry is added, removed or renamed in it) and of the
// package files. The launcher records them as it builds its bundle and checks them as it starts
// (stat calls only); their digest is the verifier daemon's notion of "this learn-ds"
// (src/verify/daemon/fingerprint.ts), so any change under src/ replaces the daemon. No hashing here:
// node:crypto would be ~7 ms of every command's start, and only `verify` needs the digest.
// Plain JavaScript: the launcher needs it before anything is built.
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Outside src/: what a run also depends on (dependencies through npm's lock files, the launcher). */
export const PACKAGE_FILES = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'bin/learn-ds.js', 'bin/lib/sources.js'];

function stampOf(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  return s === undefined ? '-' : s.isDirectory() ? `dir:${s.mtimeMs}` : `${s.size}:${s.mtimeMs}`;
}

/** Every stamp, by path relative to `root`: src/ walked (node_modules and dot entries left out), then the package files. */
export function sourceStamps(root) {
  const stamps = {};
  const walk = (rel) => {
    stamps[rel] = stampOf(join(root, rel));
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else stamps[path] = stampOf(join(root, path));
    }
  };
  walk('src');
  for (const file of PACKAGE_FILES) stamps[file] = stampOf(join(root, file));
  return stamps;
}

/** Whether every recorded stamp still holds: then a walk would find the same files, with the same stamps. */
export function stampsHold(root, stamps) {
  const entries = Object.entries(stamps ?? {});
  // Paths as recorded (normalized, relative) appended to the root: join() for each would cost as much as the stat.
  const prefix = root.endsWith(sep) ? root : root + sep;
  return entries.length > 0 && entries.every(([path, stamp]) => stampOf(prefix + path) === stamp);
}

/** Where the launcher leaves the stamps it checked, for the code it starts in the same process. */
export const CHECKED_SOURCES = Symbol.for('learn-ds.checked-sources');
