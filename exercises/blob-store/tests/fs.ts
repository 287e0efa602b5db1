// The suite's side of the store's files: a StoreFs over a real temporary folder, which can play a
// crash at the k-th change (write, rename or unlink): a write is torn (the first half of its bytes
// reach the file), a rename or unlink does not happen, and every later call fails as a dead
// process's would.
import { mkdir, mkdtemp, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { StoreFs } from 'learn-ds/subject/blob-store';

/** What the crashing file system throws: the process "died" here. */
export class Crash extends Error {
  constructor(what: string) {
    super(`simulated crash at ${what}`);
  }
}

/** Paths in a story: a 64-hex chunk name shortened to its first 10 characters. */
const short = (path: string) => path.replace(/[0-9a-f]{64}/g, (hex) => `${hex.slice(0, 10)}…`);

export interface TestFs extends StoreFs {
  /** The changes made so far, e.g. `write chunks/ab… (4 of 8 bytes, crash)`. */
  readonly changes: string[];
  readonly crashed: boolean;
}

/** A fresh temporary folder for one check; `remove()` deletes it and everything in it. */
export async function tempFolder(): Promise<{ root: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'learn-ds-blob-'));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

function inside(root: string, path: string): string {
  if (typeof path !== 'string' || path === '' || isAbsolute(path) || path.includes('\\')) {
    throw new Error(`StoreFs paths are relative, with / between parts; got ${JSON.stringify(path)}`);
  }
  const full = join(root, ...path.split('/'));
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) {
    throw new Error(`StoreFs path ${JSON.stringify(path)} leaves the store's folder`);
  }
  return full;
}

/** A StoreFs over `root`; with `crashAt: k`, the k-th change crashes (1 is the first). */
export function storeFs(root: string, options: { crashAt?: number } = {}): TestFs {
  const changes: string[] = [];
  let crashed = false;
  const alive = () => {
    if (crashed) throw new Crash('a call after the crash');
  };
  const crashesNow = () => options.crashAt !== undefined && changes.length + 1 === options.crashAt;
  return {
    changes,
    get crashed() {
      return crashed;
    },
    async readFile(path) {
      alive();
      const data = await readFile(inside(root, path));
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    },
    async writeFile(path, data) {
      alive();
      const full = inside(root, path);
      if (!(data instanceof Uint8Array)) throw new Error(`StoreFs.writeFile(${JSON.stringify(path)}, …) takes a Uint8Array`);
      await mkdir(dirname(full), { recursive: true });
      if (crashesNow()) {
        const half = Math.floor(data.length / 2);
        await writeFile(full, data.subarray(0, half));
        changes.push(`write ${short(path)} (${half} of ${data.length} bytes, then the crash)`);
        crashed = true;
        throw new Crash(`writing ${path}`);
      }
      await writeFile(full, data);
      changes.push(`write ${short(path)} (${data.length} bytes)`);
    },
    async rename(from, to) {
      alive();
      const [a, b] = [inside(root, from), inside(root, to)];
      if (crashesNow()) {
        changes.push(`rename ${short(from)} → ${short(to)} (crash before it)`);
        crashed = true;
        throw new Crash(`renaming ${from}`);
      }
      await mkdir(dirname(b), { recursive: true });
      await rename(a, b);
      changes.push(`rename ${short(from)} → ${short(to)}`);
    },
    async unlink(path) {
      alive();
      const full = inside(root, path);
      if (crashesNow()) {
        changes.push(`unlink ${short(path)} (crash before it)`);
        crashed = true;
        throw new Crash(`unlinking ${path}`);
      }
      await unlink(full);
      changes.push(`unlink ${short(path)}`);
    },
    async list(dir) {
      alive();
      try {
        const entries = await readdir(inside(root, dir), { withFileTypes: true });
        return entries.filter((e) => e.isFile()).map((e) => e.name);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return [];
        throw error;
      }
    },
  };
}
