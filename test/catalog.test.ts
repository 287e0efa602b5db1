// The catalog: manifests validated with errors that name the file, exercises in book order.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { CHAPTERS, chapterSlug, citableSections } from '../src/catalog/chapters.ts';
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
    [{ ...valid, section: 'Retries' }, /section: chapter 27 "Downstream resiliency" has no section "Retries": use one of "Timeout", "Retry", "Retry: Exponential backoff"/],
    [{ ...valid, section: 'retry: exponential backoff' }, /has no section "retry: exponential backoff": write it "Retry: Exponential backoff"/],
    [{ ...valid, section: 'Exponential backoff' }, /use one of .*"Retry: Exponential backoff"/],
    [{ ...valid, chapter: { number: 7, title: 'Failure detection' }, part: 'Coordination', section: 'Heartbeats' },
      /section: chapter 7 "Failure detection" has no sections: remove "section" to cite the chapter alone/],
  ])('rejects %j', (manifest, message) => {
    expect(() => parseManifest(JSON.stringify(manifest), '/x/exercise.json')).toThrow(message);
  });

  test.each(['Retry', 'Retry: Exponential backoff', 'Retry: Retry amplification', undefined])('accepts the section %s', (section) => {
    expect(parseManifest(JSON.stringify({ ...valid, section }), 'm.json').section).toBe(section);
  });

  test('a chapter without sections is cited by chapter alone', () => {
    const chapterAlone = { ...valid, chapter: { number: 4, title: 'Discovery' }, part: 'Communication', section: undefined };
    expect(parseManifest(JSON.stringify(chapterAlone), 'm.json').section).toBeUndefined();
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
      { ...valid, id: 'clock', chapter: { number: 8, title: 'Time' }, part: 'Coordination', section: 'Logical clocks', file: 'clock.ts' },
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

  test('sections and sub-sections are cited as the contents page writes them', () => {
    expect(citableSections(CHAPTERS.get(4)!)).toEqual([]);
    expect(citableSections(CHAPTERS.get(25)!)).toEqual(['Correlation']);
    expect(citableSections(CHAPTERS.get(28)!)).toContain('Rate-limiting: Single-process implementation');
    expect(citableSections(CHAPTERS.get(21)!)).toContain('API gateway: Core responsibilities: Composition');
    for (const n of [4, 6, 7, 33, 34]) expect(CHAPTERS.get(n)!.sections, `chapter ${n}`).toEqual([]);
  });
});

describe('statements', () => {
  // The line under the title cites exactly what the manifest says; more may follow after a full stop or in brackets.
  test.each(loadCatalog().exercises.map((e) => [e.id, e] as const))('%s cites its chapter and section exactly', (_id, e) => {
    const cited = `*Understanding Distributed Systems*, chapter ${e.chapter.number} "${e.chapter.title}"${e.section ? `, section "${e.section}"` : ''}`;
    const line = readFileSync(e.readmePath, 'utf8').split('\n')[2] ?? '';
    expect(line.startsWith(cited) && /^[.(]| \(/.test(line.slice(cited.length)), `line 3 of the statement: ${line}\nexpected it to start ${cited}`).toBe(true);
  });
});
