/**
 * The cold type check's cache (src/verify/typecheck.ts) answers again only for the same file with
 * the same imports: never another folder's file of the same text (its errors would name the other
 * path), and never after an edit to a file it imports from another folder (the kv-store capstone
 * imports earlier exercises from other chapters' folders). And a check past its time limit never
 * holds up the verdict.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { cacheKey } from '../src/verify/typecheck.ts';
import { repoRoot, tempDir } from './support/cli.ts';

describe("the type check's cache key", () => {
  test('two files of the same text in two folders have two keys', () => {
    const a = join(tempDir('learn-ds-key-'), 'mine.ts');
    const b = join(tempDir('learn-ds-key-'), 'mine.ts');
    writeFileSync(a, 'export const x = 1;\n');
    writeFileSync(b, 'export const x = 1;\n');
    expect(cacheKey(a)).not.toBe(cacheKey(b));
    expect(cacheKey(a)).toBe(cacheKey(a));
  });

  test.each([
    ["'../16-partitioning/ring.ts'", 'ring.ts'],
    ["'../16-partitioning/ring.js'", 'ring.ts'],
  ])('an edit to a file imported from another folder (%s) changes the key, and so does one it imports in turn', (specifier, name) => {
    const root = tempDir('learn-ds-key-');
    mkdirSync(join(root, '16-partitioning'));
    mkdirSync(join(root, '19-data-storage'));
    const ring = join(root, '16-partitioning', name);
    const hash = join(root, '16-partitioning', 'hash.ts');
    const mine = join(root, '19-data-storage', 'kv-store.ts');
    writeFileSync(hash, 'export const h = 1;\n');
    writeFileSync(ring, "import { h } from './hash.ts';\nexport const ring = h;\n");
    writeFileSync(mine, `import { ring } from ${specifier};\nexport const x = ring;\n`);
    const before = cacheKey(mine);
    writeFileSync(ring, "import { h } from './hash.ts';\nexport const ring: number = h + 1;\n");
    utimesSync(ring, new Date(), new Date(Date.now() + 5_000));
    const afterRing = cacheKey(mine);
    expect(afterRing).not.toBe(before);
    writeFileSync(hash, 'export const h = 22;\n');
    utimesSync(hash, new Date(), new Date(Date.now() + 5_000));
    expect(cacheKey(mine)).not.toBe(afterRing);
  });

  test('an import that was missing and appears changes the key', () => {
    const dir = tempDir('learn-ds-key-');
    const sub = join(dir, 'lib');
    const mine = join(dir, 'mine.ts');
    writeFileSync(mine, "import { later } from './lib/later.ts';\nexport const y = later;\n");
    const before = cacheKey(mine);
    mkdirSync(sub);
    writeFileSync(join(sub, 'later.ts'), 'export const later = 1;\n');
    expect(cacheKey(mine)).not.toBe(before);
  });
});

test('a type check past its time limit resolves with nothing, and the process awaiting it goes on (verify --json printed nothing on a starved core)', async () => {
  const file = join(tempDir('learn-ds-key-'), 'mine.ts');
  writeFileSync(file, 'export const x: number = 1;\n');
  const module = pathToFileURL(join(repoRoot, 'src', 'verify', 'typecheck.ts')).href;
  // Nothing else keeps this process alive: before the fix it exited while awaiting, printing nothing.
  const script = `const { runTypeCheck } = await import(${JSON.stringify(module)}); const r = await runTypeCheck(${JSON.stringify(file)}, 1); console.log('resolved', r === undefined ? 'undefined' : 'problems');`;
  const run = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, reject: false });
  expect(run.stdout).toBe('resolved undefined');
}, 60_000);
