import { createHash } from 'node:crypto';

/** The files the store may touch: paths are relative to the store's folder, with `/` between parts. */
export interface StoreFs {
  /** The whole file; rejects with an error whose `code` is `'ENOENT'` when there is no such file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Creates or replaces the file (and its folders). Not atomic: a crash can leave part of `data`. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Moves `from` to `to` in one step, replacing `to`: a reader sees the old file or the new one. */
  rename(from: string, to: string): Promise<void>;
  /** Removes the file; rejects with code `'ENOENT'` when there is none. */
  unlink(path: string): Promise<void>;
  /** The names of the files in a folder (not their paths), `[]` when the folder does not exist. */
  list(dir: string): Promise<string[]>;
}

export interface BlobStoreOptions {
  /** Bytes per chunk, an integer of at least 1: every chunk but a blob's last has exactly this size. */
  chunkSize: number;
}

export interface BlobStore {
  /** Stores `bytes` under `name`, replacing any blob of that name at once. */
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The blob's bytes, every chunk checked; BlobNotFoundError or BlobCorruptError otherwise. */
  get(name: string): Promise<Uint8Array>;
  /** Removes the blob's manifest (its chunks wait for gc); false when there was no such blob. */
  delete(name: string): Promise<boolean>;
  /** Removes every chunk file no manifest references; resolves to how many it removed. */
  gc(): Promise<number>;
}

/** Thrown by get (and rejected with) when no blob has that name. */
export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(blobName: string) {
    super(`no blob named ${JSON.stringify(blobName)}`);
  }
}

/** Thrown by get when a chunk the manifest lists is missing or does not hash to its name. */
export class BlobCorruptError extends Error {
  override name = 'BlobCorruptError';
  constructor(blobName: string, detail: string) {
    super(`blob ${JSON.stringify(blobName)} is corrupt: ${detail}`);
  }
}

interface Manifest {
  name: string;
  size: number;
  chunks: string[];
}

const CHUNKS = 'chunks';
const MANIFESTS = 'manifests';
const HEX64 = /^[0-9a-f]{64}$/;

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/** The manifest's file: names can be long, contain `/` or differ only in case, so hash them. */
function manifestPath(name: string): string {
  return `${MANIFESTS}/${sha256(name)}.json`;
}

export function createBlobStore(fs: StoreFs, options: BlobStoreOptions): BlobStore {
  const { chunkSize } = options;
  let temps = 0;
  const tempName = () => `tmp/${process.pid}-${Date.now()}-${temps++}-${Math.random().toString(36).slice(2)}`;

  /** Temp file, then rename: a crash leaves the old file or the new one, never part of it. */
  async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
    const temp = tempName();
    await fs.writeFile(temp, data);
    await fs.rename(temp, path);
  }

  async function exists(path: string): Promise<boolean> {
    try {
      await fs.readFile(path);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async function readManifest(name: string): Promise<Manifest | undefined> {
    try {
      const raw = await fs.readFile(manifestPath(name));
      return JSON.parse(new TextDecoder().decode(raw)) as Manifest;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  return {
    async put(name, bytes) {
      const hashes: string[] = [];
      for (let start = 0; start < bytes.length; start += chunkSize) {
        const chunk = bytes.subarray(start, start + chunkSize);
        const hash = sha256(chunk);
        hashes.push(hash);
        // A chunk file only ever appears whole (renamed into place), so one that exists is good.
        if (!(await exists(`${CHUNKS}/${hash}`))) await writeAtomically(`${CHUNKS}/${hash}`, chunk);
      }
      // The manifest last: it may only point at chunks that are already there.
      const manifest: Manifest = { name, size: bytes.length, chunks: hashes };
      await writeAtomically(manifestPath(name), new TextEncoder().encode(JSON.stringify(manifest)));
    },

    async get(name) {
      const manifest = await readManifest(name);
      if (!manifest) throw new BlobNotFoundError(name);
      const out = new Uint8Array(manifest.size);
      let at = 0;
      for (const [index, hash] of manifest.chunks.entries()) {
        let chunk: Uint8Array;
        try {
          chunk = await fs.readFile(`${CHUNKS}/${hash}`);
        } catch (error) {
          if (isMissing(error)) throw new BlobCorruptError(name, `chunk ${index} (${hash}) is missing`);
          throw error;
        }
        if (sha256(chunk) !== hash) throw new BlobCorruptError(name, `chunk ${index} does not hash to ${hash}`);
        if (at + chunk.length > manifest.size) throw new BlobCorruptError(name, 'chunks longer than the size');
        out.set(chunk, at);
        at += chunk.length;
      }
      if (at !== manifest.size) throw new BlobCorruptError(name, `chunks hold ${at} bytes, expected ${manifest.size}`);
      return out;
    },

    async delete(name) {
      try {
        await fs.unlink(manifestPath(name));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },

    async gc() {
      const referenced = new Set<string>();
      for (const file of await fs.list(MANIFESTS)) {
        const raw = await fs.readFile(`${MANIFESTS}/${file}`);
        const manifest = JSON.parse(new TextDecoder().decode(raw)) as Manifest;
        for (const hash of manifest.chunks) referenced.add(hash);
      }
      let removed = 0;
      for (const file of await fs.list(CHUNKS)) {
        if (!HEX64.test(file) || referenced.has(file)) continue;
        await fs.unlink(`${CHUNKS}/${file}`);
        removed++;
      }
      return removed;
    },
  };
}
