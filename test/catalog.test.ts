// The catalog: manifests validated with errors that name the file, exercises in book order.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { CHAPTERS, chapterSlug } from '../src/catalog/chapters.ts';
import { parseManifest } from '../src/catalog/manifest.ts';
import { tempDir } from './support/cli.ts';

const valid = {
  id: 'demo',
  title: 'Demo',
  chapter: { number: 27, title: 'Downstream resiliency' },
  part: 'Resiliency',
  section: 'Retry',
  difficulty: 'easy',
  file: 'demo.ts',
  exports: ['demo'],
  hints: ['one'],
};

describe('parseManifest', () => {
  test('accepts a valid manifest and fills defaults', () => {
    expect(parseManifest(JSON.stringify(valid), 'm.json')).toMatchObject({ order: 0, timeoutSeconds: 10 });
  });

  test.each([
    [{ ...valid, id: 'Not An Id' }, /id: must be lower-case words/],
    [{ ...valid, chapter: { number: 27, title: 'Retries' } }, /chapter\.title: chapter 27 is "Downstream resiliency"/],
    [{ ...valid, chapter: { number: 40, title: 'x' } }, /no chapter 40/],
    [{ ...valid, part: 'Coordination' }, /part: chapter 27 belongs to part "Resiliency"/],
    [{ ...valid, file: '../escape.ts' }, /file: must be a file name/],
    [{ ...valid, hints: [] }, /hints: needs at least one hint/],
    [{ ...valid, extra: true }, /extra/],
    [{ ...valid, exports: [] }, /exports/],
  ])('rejects %j', (manifest, message) => {
    expect(() => parseManifest(JSON.stringify(manifest), '/x/exercise.json')).toThrow(message);
  });

  test('names the file when the JSON itself is broken', () => {
    expect(() => parseManifest('{', '/x/exercise.json')).toThrow(/^\/x\/exercise\.json: not valid JSON/);
  });
});

describe('loadCatalog', () => {
  function fakeExercises(manifests: object[]): string {
    const root = tempDir();
    for (const m of manifests) {
      const dir = join(root, (m as { id: string }).id);
      mkdirSync(dir);
      writeFileSync(join(dir, 'exercise.json'), JSON.stringify(m));
      writeFileSync(join(dir, 'README.md'), '# x\n');
      writeFileSync(join(dir, 'starter.ts'), 'export {};\n');
      writeFileSync(join(root, `${(m as { id: string }).id}.ts`), 'export {};\n');
    }
    return root;
  }

  test('orders by chapter, then order, then id, and numbers from 1', () => {
    const root = fakeExercises([
      { ...valid, id: 'late', order: 2, file: 'late.ts' },
      { ...valid, id: 'early', order: 1, file: 'early.ts' },
      { ...valid, id: 'clock', chapter: { number: 8, title: 'Time' }, part: 'Coordination', file: 'clock.ts' },
    ]);
    const { exercises } = loadCatalog(root, root);
    expect(exercises.map((e) => [e.number, e.id])).toEqual([[1, 'clock'], [2, 'early'], [3, 'late']]);
  });

  test('a folder whose manifest id differs is an error naming the file', () => {
    const root = fakeExercises([{ ...valid }]);
    writeFileSync(join(root, 'demo', 'exercise.json'), JSON.stringify({ ...valid, id: 'other' }));
    expect(() => loadCatalog(root, root)).toThrow(/demo\/exercise\.json: id "other" differs from its folder name "demo"/);
  });

  test('two exercises may not share a learner file in one chapter', () => {
    const root = fakeExercises([{ ...valid, id: 'a' }, { ...valid, id: 'b' }]);
    expect(() => loadCatalog(root, root)).toThrow(/file "demo\.ts" is also used by "a"/);
  });

  test('an exercise without its starter is an error naming what is missing', () => {
    const root = fakeExercises([{ ...valid }]);
    rmSync(join(root, 'demo', 'starter.ts'));
    expect(() => loadCatalog(root, root)).toThrow(/demo\/exercise\.json: the exercise has no .*demo\/starter\.ts/);
  });

  test('the shipped catalog loads', () => {
    expect(loadCatalog().exercises.length).toBeGreaterThanOrEqual(5);
  });
});

describe('chapters', () => {
  test('the 2nd edition has 34 chapters in five parts', () => {
    expect(CHAPTERS.size).toBe(34);
    expect(chapterSlug(CHAPTERS.get(27)!)).toBe('27-downstream-resiliency');
    expect(chapterSlug(CHAPTERS.get(22)!)).toBe('22-control-planes-and-data-planes');
  });
});
