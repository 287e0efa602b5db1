// `learn-ds run blob-store`: a document edited three times, the chunk files on disk after each step
// (dedup and gc at work), then what a restarted store reads after a crash at each change of a put.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bar, demo, labelled } from 'learn-ds/harness';
import { createBlobStore } from 'learn-ds/subject/blob-store';
import { storeFs, tempFolder } from './tests/fs.ts';

const CHUNK = 4096;

async function chunkCount(root: string): Promise<number> {
  const files = await readdir(join(root, 'chunks')).catch(() => []);
  return files.filter((f) => /^[0-9a-f]{64}$/.test(f)).length;
}

function documentVersion(chunks: number, edited: number[]): Uint8Array {
  const bytes = new Uint8Array(chunks * CHUNK);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 12) * 7) & 0xff;
  for (const c of edited) bytes[c * CHUNK + 100] = 0xee;
  return bytes;
}

demo('a document edited, deleted and collected; then a crash at each change of a put', async () => {
  const folder = await tempFolder();
  try {
    const store = createBlobStore(storeFs(folder.root), { chunkSize: CHUNK });
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['put v1 (10 chunks)', () => store.put('doc/v1', documentVersion(10, []))],
      ['put v2 (chunk 3 edited)', () => store.put('doc/v2', documentVersion(10, [3]))],
      ['put v3 (chunk 7 edited)', () => store.put('doc/v3', documentVersion(10, [3, 7]))],
      ['delete v1, v2', () => Promise.all([store.delete('doc/v1'), store.delete('doc/v2')])],
      ['gc', () => store.gc()],
    ];
    const rows: Array<[string, string]> = [];
    for (const [label, run] of steps) {
      const result = await run();
      const files = await chunkCount(folder.root);
      rows.push([label, `${bar(files, 14, 14).padEnd(14)} ${files} chunk files${label === 'gc' ? ` (gc removed ${String(result)})` : ''}`]);
    }
    // A crash at the k-th change of an overwrite, then a fresh store on the same files.
    const crashRows: Array<[string, string]> = [];
    const next = documentVersion(10, [3, 7, 9]);
    for (let k = 1; k <= 12; k++) {
      const crashing = createBlobStore(storeFs(folder.root, { crashAt: k }), { chunkSize: CHUNK });
      const done = await crashing.put('doc/v3', next).then(() => true, () => false);
      const seen = await createBlobStore(storeFs(folder.root), { chunkSize: CHUNK })
        .get('doc/v3')
        .then((b) => (b[9 * CHUNK + 100] === 0xee ? 'new version' : 'old version'), (e: unknown) => `error: ${(e as Error).name}`);
      crashRows.push([`crash at change ${k}`, done ? 'no crash: put finished' : `a restarted store reads the ${seen}`]);
      if (done) break;
    }
    return [
      `Three versions of one document, chunkSize ${CHUNK}: each edit adds one chunk file, not ten.`,
      '',
      labelled(rows),
      '',
      'Overwriting doc/v3 on a file system that crashes at its k-th write, rename or unlink:',
      '',
      labelled(crashRows),
      '',
      'The new version appears only at the last change, the rename of its manifest: before it, every',
      'chunk file is already whole in place, and a crash leaves the old version readable.',
    ].join('\n');
  } finally {
    await folder.remove();
  }
});
