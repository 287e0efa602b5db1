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

/** Thrown by get (and rejected with) when no blob has that name. Ready to use. */
export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(blobName: string) {
    super(`no blob named ${JSON.stringify(blobName)}`);
  }
}

/** Thrown by get when a chunk the manifest lists is missing or does not hash to its name. Ready to use. */
export class BlobCorruptError extends Error {
  override name = 'BlobCorruptError';
  constructor(blobName: string, detail: string) {
    super(`blob ${JSON.stringify(blobName)} is corrupt: ${detail}`);
  }
}

/**
 * A blob store in the folder `fs` gives: chunks in `chunks/<sha256 hex of the chunk>`, one manifest
 * per blob wherever you like outside `chunks/`, every file written under a temporary name and then
 * renamed into place.
 */
export function createBlobStore(fs: StoreFs, options: BlobStoreOptions): BlobStore {
  return {
    async put(name, bytes) {
      throw new Error('TODO: write put');
    },
    async get(name) {
      throw new Error('TODO: write get');
    },
    async delete(name) {
      throw new Error('TODO: write delete');
    },
    async gc() {
      throw new Error('TODO: write gc');
    },
  };
}
