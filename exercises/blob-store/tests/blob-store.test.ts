// The hidden suite of blob-store: the learner's store runs on real files in a fresh temporary
// folder per check (removed after it), through the StoreFs of tests/fs.ts, which can also crash
// at any change. Chunk files are judged where the statement puts them: chunks/<sha256 hex>.
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, truncate, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, test } from 'vitest';
import { check, describeThrown, fail, show, streamFor } from 'learn-ds/harness';
import { createBlobStore, BlobNotFoundError, BlobCorruptError } from 'learn-ds/subject/blob-store';
import type { BlobStore } from 'learn-ds/subject/blob-store';
import { Crash, storeFs, tempFolder } from './fs.ts';

const HEX64 = /^[0-9a-f]{64}$/;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0)) await clean();
});

/** A fresh folder and a store over it; `reopen` makes a new store on the same files. */
async function fresh(chunkSize: number) {
  const { root, remove } = await tempFolder();
  cleanups.push(remove);
  const open = (crashAt?: number) => {
    const fs = storeFs(root, crashAt === undefined ? {} : { crashAt });
    return { fs, store: createBlobStore(fs, { chunkSize }) };
  };
  return { root, open, ...open() };
}

function randomBytes(label: string, n: number): Uint8Array {
  const next = streamFor(label);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const describe = (b: Uint8Array) => `${b.length} bytes (SHA-256 ${sha256(b).slice(0, 12)}…)`;

async function chunkFiles(root: string): Promise<string[]> {
  try {
    return (await readdir(join(root, 'chunks'))).filter((f) => HEX64.test(f)).sort();
  } catch {
    return [];
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function firstDifference(got: Uint8Array, want: Uint8Array): string {
  if (got.length !== want.length) return `${got.length} bytes instead of ${want.length}`;
  const at = got.findIndex((v, i) => v !== want[i]);
  return `byte ${at} is ${got[at]} instead of ${want[at]}`;
}

type Outcome = { ok: true; bytes: Uint8Array } | { ok: false; error: unknown };
async function tryGet(store: BlobStore, name: string): Promise<Outcome> {
  try {
    const bytes = await store.get(name);
    if (!(bytes instanceof Uint8Array)) return { ok: false, error: new Error(`get resolved to ${show(bytes)}, not a Uint8Array`) };
    return { ok: true, bytes };
  } catch (error) {
    return { ok: false, error };
  }
}

const isNamed = (error: unknown, name: string) => error instanceof Error && error.name === name;

async function expectBytes(store: BlobStore, name: string, want: Uint8Array, when: string): Promise<void> {
  const got = await tryGet(store, name);
  if (!got.ok) fail(`${when}: get(${show(name)}) threw ${describeThrown(got.error)}; expected the ${describe(want)} put under that name`);
  check(equal(got.bytes, want), () => `${when}: get(${show(name)}) gave wrong bytes (${firstDifference(got.bytes, want)}); expected the ${describe(want)} put under that name`);
}

async function expectError(store: BlobStore, name: string, errorName: string, when: string): Promise<void> {
  const got = await tryGet(store, name);
  if (got.ok) fail(`${when}: get(${show(name)}) resolved to ${got.bytes.length} bytes; expected it to throw ${errorName}`);
  check(isNamed(got.error, errorName), () => `${when}: get(${show(name)}) threw ${describeThrown(got.error)}; expected ${errorName}`);
}

const CHUNK = 1024;
const SHAPES: Array<[string, number]> = [
  ['empty', 0],
  ['1 byte', 1],
  ['chunkSize − 1', CHUNK - 1],
  ['exactly chunkSize', CHUNK],
  ['chunkSize + 1', CHUNK + 1],
  ['exactly 3 chunks', 3 * CHUNK],
  ['5 chunks and 7 bytes', 5 * CHUNK + 7],
];

test('the exports are there: createBlobStore, BlobNotFoundError, BlobCorruptError', () => {
  check(typeof createBlobStore === 'function', 'createBlobStore must be an exported function');
  check(new BlobNotFoundError('x') instanceof Error && new BlobNotFoundError('x').name === 'BlobNotFoundError', 'BlobNotFoundError must be an Error class whose name is "BlobNotFoundError"');
  check(new BlobCorruptError('x', 'y') instanceof Error && new BlobCorruptError('x', 'y').name === 'BlobCorruptError', 'BlobCorruptError must be an Error class whose name is "BlobCorruptError"');
});

test('get gives back exactly the bytes put, for blobs of every shape (empty, 1 byte, chunkSize ± 1, several MB, zeros)', async () => {
  const { store } = await fresh(CHUNK);
  const blobs: Array<[string, Uint8Array]> = SHAPES.map(([label, n]) => [`shape/${label}`, randomBytes(label, n)]);
  blobs.push(['shape/zeros with a 1 at the end', Uint8Array.from({ length: 2 * CHUNK + 3 }, (_, i) => (i === 2 * CHUNK + 2 ? 1 : 0))]);
  for (const [name, bytes] of blobs) await store.put(name, bytes.slice());
  for (const [name, bytes] of blobs) await expectBytes(store, name, bytes, `after putting ${blobs.length} blobs with chunkSize ${CHUNK}`);
  const big = await fresh(64 * 1024);
  const mb = randomBytes('several MB', 3 * 1024 * 1024 + 5);
  await big.store.put('big', mb.slice());
  await expectBytes(big.store, 'big', mb, 'a blob of 3 MB and 5 bytes with chunkSize 65536');
  const tiny = await fresh(1);
  for (const n of [0, 1, 2, 5]) {
    const bytes = randomBytes(`tiny ${n}`, n);
    await tiny.store.put(`tiny${n}`, bytes.slice());
    await expectBytes(tiny.store, `tiny${n}`, bytes, 'with chunkSize 1');
  }
});

test('a blob of n bytes is cut into ceil(n / chunkSize) chunk files, each named by the SHA-256 (hex) of its content', async () => {
  for (const [label, n] of SHAPES) {
    const { root, store } = await fresh(CHUNK);
    const bytes = randomBytes(`cut ${label}`, n);
    await store.put('blob', bytes.slice());
    const files = await chunkFiles(root);
    const want = Math.ceil(n / CHUNK);
    check(files.length === want, () => `a blob of ${n} bytes (${label}) with chunkSize ${CHUNK} left ${files.length} chunk files in chunks/; expected ceil(${n} / ${CHUNK}) = ${want} (every chunk ${CHUNK} bytes but the last, which holds the rest; no empty chunk)`);
    const sizes: number[] = [];
    for (const file of files) {
      const content = new Uint8Array(await readFile(join(root, 'chunks', file)));
      sizes.push(content.length);
      check(sha256(content) === file, () => `chunks/${file.slice(0, 12)}… holds ${content.length} bytes whose SHA-256 is ${sha256(content).slice(0, 12)}…; a chunk file must be named by the SHA-256 (hex, lowercase) of its own content`);
    }
    sizes.sort((a, b) => b - a);
    const wantSizes = Array.from({ length: want }, (_, i) => (i < want - 1 || n % CHUNK === 0 ? CHUNK : n % CHUNK));
    check(sizes.join() === wantSizes.join(), () => `a blob of ${n} bytes (${label}) gave chunks of ${sizes.join(', ')} bytes; expected ${wantSizes.join(', ')}`);
  }
});

test('names are exact: case matters, and "/", "..", spaces, non-ASCII and 500 characters are names like any other', async () => {
  const { store } = await fresh(CHUNK);
  const names = ['photo', 'Photo', 'PHOTO', 'a/b/c', 'a/b', '../outside', ' ', '.', 'Été/日本語 🎉.jpg', 'x'.repeat(500), 'x'.repeat(499) + 'X'];
  const blobs = names.map((name, i) => [name, randomBytes(`name ${i}`, 10 + i * 300)] as const);
  for (const [name, bytes] of blobs) await store.put(name, bytes.slice());
  for (const [name, bytes] of blobs) await expectBytes(store, name, bytes, `after putting blobs named ${names.map((n) => show(n.length > 20 ? `${n.slice(0, 8)}…(${n.length} chars)` : n)).join(', ')}`);
  await expectError(store, 'photos', 'BlobNotFoundError', 'no blob was put under "photos"');
});

test('a chunk already stored is stored once: across blobs and within one blob (dedup)', async () => {
  const { root, store } = await fresh(CHUNK);
  const a = randomBytes('dedup a', 4 * CHUNK);
  await store.put('a', a.slice());
  let count = (await chunkFiles(root)).length;
  check(count === 4, () => `after a first blob of 4 distinct chunks, chunks/ holds ${count} chunk files; expected 4`);
  await store.put('copy of a', a.slice());
  count = (await chunkFiles(root)).length;
  check(count === 4, () => `the same 4 chunks put again under another name made chunks/ hold ${count} chunk files; each distinct chunk must be stored once (expected 4)`);
  const b = new Uint8Array(5 * CHUNK + 10);
  b.set(a.subarray(0, 2 * CHUNK));
  b.set(randomBytes('dedup b tail', 3 * CHUNK + 10), 2 * CHUNK);
  await store.put('b', b.slice());
  count = (await chunkFiles(root)).length;
  check(count === 8, () => `a blob whose first 2 chunks are a's and whose 4 others are new made chunks/ hold ${count} chunk files; expected 4 + 4 = 8 (stored once each)`);
  await store.put('zeros', new Uint8Array(6 * CHUNK));
  count = (await chunkFiles(root)).length;
  check(count === 9, () => `a blob of 6 identical chunks (all zeros) made chunks/ hold ${count} chunk files; expected 8 + 1 = 9 (stored once)`);
  for (const [name, bytes] of [['a', a], ['copy of a', a], ['b', b], ['zeros', new Uint8Array(6 * CHUNK)]] as const) {
    await expectBytes(store, name, bytes, 'after putting blobs that share chunks');
  }
});

test('get checks every chunk: a corrupted, truncated, extended or missing chunk file throws BlobCorruptError, never wrong bytes', async () => {
  const damages: Array<[string, (path: string) => Promise<void>]> = [
    ['one byte flipped in the middle', async (path) => {
      const data = await readFile(path);
      data[data.length >> 1] = (data[data.length >> 1] ?? 0) ^ 0x55;
      await writeFile(path, data);
    }],
    ['truncated by one byte', async (path) => truncate(path, (await readFile(path)).length - 1)],
    ['truncated to 0 bytes', async (path) => truncate(path, 0)],
    ['one byte appended', async (path) => appendFile(path, new Uint8Array([7]))],
    ['deleted', async (path) => rm(path)],
  ];
  for (const [damage, apply] of damages) {
    for (const which of ['first', 'last'] as const) {
      const { root, store } = await fresh(CHUNK);
      const bytes = randomBytes(`damage ${damage}`, 3 * CHUNK + 100);
      await store.put('victim', bytes.slice());
      const chunk = sha256(which === 'first' ? bytes.subarray(0, CHUNK) : bytes.subarray(3 * CHUNK));
      await apply(join(root, 'chunks', chunk));
      await expectError(store, 'victim', 'BlobCorruptError', `the ${which} chunk file of a blob ${damage}`);
    }
  }
});

test('get of a name never put, or deleted, throws BlobNotFoundError; delete resolves to whether the blob existed', async () => {
  const { store } = await fresh(CHUNK);
  await expectError(store, 'nothing', 'BlobNotFoundError', 'in an empty store');
  const bytes = randomBytes('deleted', 2 * CHUNK);
  await store.put('doc', bytes.slice());
  await store.put('other', bytes.slice());
  const first = await store.delete('doc');
  check(first === true, () => `delete("doc") of a stored blob resolved to ${show(first)}; expected true`);
  await expectError(store, 'doc', 'BlobNotFoundError', 'after delete("doc")');
  await expectBytes(store, 'other', bytes, 'after deleting "doc", a blob with the same content');
  const again = await store.delete('doc');
  check(again === false, () => `delete("doc") a second time resolved to ${show(again)}; expected false`);
  const never = await store.delete('never');
  check(never === false, () => `delete("never") of a name never put resolved to ${show(never)}; expected false`);
});

test('put on an existing name replaces the blob: get gives the new bytes, whatever their length', async () => {
  const { store } = await fresh(CHUNK);
  let previous = randomBytes('overwrite 0', 3 * CHUNK + 1);
  await store.put('doc', previous.slice());
  for (const [i, n] of [5 * CHUNK, 1, 0, CHUNK, 2 * CHUNK - 1].entries()) {
    const next = randomBytes(`overwrite ${i + 1}`, n);
    await store.put('doc', next.slice());
    await expectBytes(store, 'doc', next, `after replacing a blob of ${previous.length} bytes with ${n} bytes`);
    previous = next;
  }
});

test('gc removes exactly the chunks no manifest references, and keeps every chunk a blob still references, shared ones too', async () => {
  const { root, store } = await fresh(CHUNK);
  const count = async () => (await chunkFiles(root)).length;
  const parts = Array.from({ length: 6 }, (_, i) => randomBytes(`gc part ${i}`, CHUNK));
  const join_ = (...ps: Uint8Array[]) => Uint8Array.from(ps.flatMap((p) => [...p]));
  const a = join_(parts[0]!, parts[1]!, parts[2]!);
  const b = join_(parts[1]!, parts[2]!, parts[3]!);
  const c = join_(parts[4]!, parts[5]!.subarray(0, 10));
  await store.put('a', a.slice());
  await store.put('b', b.slice());
  await store.put('c', c.slice());
  let removed = await store.gc();
  let left = await count();
  check(removed === 0 && left === 6, () => `gc() with every chunk referenced resolved to ${show(removed)} and left ${left} chunk files; expected 0 removed and 6 left`);
  await store.delete('a');
  removed = await store.gc();
  left = await count();
  check(removed === 1 && left === 5, () => `after delete("a"), whose chunks 2 and 3 blob "b" shares, gc() resolved to ${show(removed)} and left ${left} chunk files; expected 1 removed (a's first chunk, which only "a" used) and 5 left`);
  await expectBytes(store, 'b', b, 'blob "b" shares 2 chunks with the deleted "a"; after gc()');
  await store.put('c', parts[5]!.slice());
  removed = await store.gc();
  left = await count();
  check(removed === 2 && left === 4, () => `after replacing "c" (2 chunks) with a blob of 1 chunk, gc() resolved to ${show(removed)} and left ${left} chunk files; expected the 2 chunks of the old "c" removed, 4 left`);
  await expectBytes(store, 'c', parts[5]!, 'the new "c" after gc()');
  await store.delete('b');
  await store.delete('c');
  removed = await store.gc();
  left = await count();
  check(removed === 4 && left === 0, () => `after deleting every blob, gc() resolved to ${show(removed)} and left ${left} chunk files; expected 4 removed, 0 left`);
});

test('a store opened again on the same folder reads every blob, and its gc keeps their chunks (the manifests on disk are the truth)', async () => {
  const world = await fresh(CHUNK);
  const a = randomBytes('reopen a', 3 * CHUNK + 3);
  const b = new Uint8Array(2 * CHUNK);
  b.set(a.subarray(0, 2 * CHUNK));
  await world.store.put('a', a.slice());
  await world.store.put('b/é', b.slice());
  await world.store.put('gone', randomBytes('reopen gone', CHUNK));
  await world.store.delete('gone');
  const again = world.open().store;
  await expectBytes(again, 'a', a, 'a new store on the folder of an earlier one');
  const removed = await again.gc();
  const left = (await chunkFiles(world.root)).length;
  check(removed === 1 && left === 4, () => `a new store on a folder holding blobs "a" (4 chunks) and "b/é" (2 chunks, both a's) and the chunk of a deleted blob: gc() resolved to ${show(removed)} and left ${left} chunk files; expected 1 removed (the deleted blob's) and 4 left`);
  await expectBytes(again, 'a', a, 'a new store on the folder of an earlier one, after its gc()');
  await expectBytes(again, 'b/é', b, 'a new store on the folder of an earlier one, after its gc()');
});

/** Puts `bytes` under `name` on a file system that crashes at its k-th change, for k = 1, 2, … */
async function crashSweep(
  setup: (store: BlobStore) => Promise<void>,
  name: string,
  bytes: Uint8Array,
  judge: (after: Outcome, k: number, story: string) => void,
  afterwards: (store: BlobStore, k: number, story: string) => Promise<void>,
): Promise<number> {
  for (let k = 1; k <= 200; k++) {
    const world = await fresh(CHUNK);
    await setup(world.store);
    const { fs, store } = world.open(k);
    let thrown: unknown;
    try {
      await store.put(name, bytes.slice());
    } catch (error) {
      thrown = error;
    }
    if (!fs.crashed) {
      if (thrown !== undefined) fail(`put(${show(name)}, …) threw ${describeThrown(thrown)} without any crash`);
      return k - 1;
    }
    if (thrown === undefined) fail(`put(${show(name)}, …) resolved although the file system crashed under it (${fs.changes.at(-1)}); a failed write must reject`);
    if (!(thrown instanceof Crash) && !(thrown instanceof Error)) fail(`put threw ${describeThrown(thrown)} at the crash`);
    const story = `The changes put made before it died: ${fs.changes.join('; ')}.`;
    const restarted = world.open().store;
    judge(await tryGet(restarted, name), k, story);
    await afterwards(restarted, k, story);
  }
  return 200;
}

test('a crash at any point of put never leaves a half blob: get gives the whole blob or BlobNotFoundError, and put again works', async () => {
  const bytes = randomBytes('crash new', 3 * CHUNK + 11);
  const points = await crashSweep(
    async () => {},
    'new',
    bytes,
    (after, k, story) => {
      if (after.ok) check(equal(after.bytes, bytes), () => `crash at change ${k} of put("new", ${describe(bytes)}); after a restart get("new") gave wrong bytes (${firstDifference(after.bytes, bytes)}); expected the whole blob or BlobNotFoundError. ${story}`);
      else check(isNamed(after.error, 'BlobNotFoundError'), () => `crash at change ${k} of put("new", ${describe(bytes)}); after a restart get("new") threw ${describeThrown(after.error)}; expected the whole blob or BlobNotFoundError (no manifest may point at a chunk not yet in place, no file may be left half written under its final name). ${story}`);
    },
    async (store, k, story) => {
      try {
        await store.put('new', bytes.slice());
      } catch (error) {
        fail(`crash at change ${k} of put("new", …); after a restart, putting it again threw ${describeThrown(error)}. ${story}`);
      }
      const again = await tryGet(store, 'new');
      check(again.ok && equal(again.bytes, bytes), () => `crash at change ${k} of put("new", ${describe(bytes)}); after a restart, put again, then get("new") ${again.ok ? `gave wrong bytes (${firstDifference(again.bytes, bytes)})` : `threw ${describeThrown(again.error)}`}; a chunk file left half written by the crash must never be taken for a good one. ${story}`);
    },
  );
  check(points >= 5, () => `put of a 4-chunk blob made only ${points} changes to the files; expected at least one per chunk file and one for the manifest`);
});

test('a crash at any point of an overwrite leaves the old blob or the new one, never a mix, and other blobs intact', async () => {
  const old = randomBytes('crash old', 3 * CHUNK);
  const other = randomBytes('crash other', 2 * CHUNK);
  const next = new Uint8Array(4 * CHUNK + 5);
  next.set(old.subarray(CHUNK, 2 * CHUNK));
  next.set(randomBytes('crash next', 3 * CHUNK + 5), CHUNK);
  await crashSweep(
    async (store) => {
      await store.put('doc', old.slice());
      await store.put('other', other.slice());
    },
    'doc',
    next,
    (after, k, story) => {
      const what = after.ok ? (equal(after.bytes, old) ? 'old' : equal(after.bytes, next) ? 'new' : undefined) : undefined;
      check(what !== undefined, () => `crash at change ${k} of put("doc", …) replacing a blob of ${old.length} bytes with one of ${next.length}; after a restart get("doc") ${after.ok ? `gave ${after.bytes.length} bytes that are neither the old blob nor the new one` : `threw ${describeThrown(after.error)}`}; expected exactly the old blob or exactly the new one. ${story}`);
    },
    async (store, k, story) => {
      await expectBytes(store, 'other', other, `crash at change ${k} of an overwrite of "doc", after a restart`);
      await store.gc();
      const after = await tryGet(store, 'doc');
      check(after.ok && (equal(after.bytes, old) || equal(after.bytes, next)), () => `crash at change ${k} of an overwrite of "doc", restart, then gc(): get("doc") ${after.ok ? 'gave bytes that are neither the old blob nor the new one' : `threw ${describeThrown(after.error)}`}; gc must keep every chunk a manifest references. ${story}`);
      await expectBytes(store, 'other', other, `crash at change ${k} of an overwrite of "doc", restart, then gc()`);
    },
  );
});
