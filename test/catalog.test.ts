// The catalog: manifests validated with errors that name the file, exercises in book order.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { exerciseFolders, loadCatalog } from '../src/catalog/catalog.ts';
import { CHAPTERS, chapterSlug, citableSections } from '../src/catalog/chapters.ts';
import { parseManifest } from '../src/catalog/manifest.ts';
import { fileFindings, formatFindings, importsOf } from '../src/dev/rules.ts';
import { exercisesDir } from '../src/package-paths.ts';
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

describe('every exercise follows the rules of its files (src/dev/rules.ts, as `npm run check` reports them)', () => {
  // Manifest, statement (title, citation, parts, last line), hints, imports by name, mutants. The rules
  // that need runs (reference, starter, mutants, demo): test/exercises.test.ts; the type checker's:
  // test/typecheck.test.ts.
  test.each(exerciseFolders().map((name) => [name]))('%s', (name) => {
    const { findings } = fileFindings(exercisesDir, name);
    expect(findings, formatFindings(findings)).toEqual([]);
  });
});

describe('the rules of the files say what is wrong and the fix', () => {
  function exercise(change: (dir: string) => void): string {
    const root = tempDir();
    cpSync(join(exercisesDir, 'retry-backoff'), join(root, 'exercises', 'retry-backoff'), { recursive: true });
    cpSync(join(exercisesDir, '..', 'solutions'), join(root, 'solutions'), { recursive: true });
    change(join(root, 'exercises', 'retry-backoff'));
    return root;
  }
  const findingsOf = (root: string) => fileFindings(join(root, 'exercises'), 'retry-backoff', join(root, 'solutions')).findings;

  test('a citation that is not the manifest\'s names the line and the sections the chapter has', () => {
    const root = exercise((dir) => {
      const readme = readFileSync(join(dir, 'README.md'), 'utf8').split('\n');
      readme[2] = '*Understanding Distributed Systems*, chapter 27 "Downstream resiliency", section "Retries".';
      writeFileSync(join(dir, 'README.md'), readme.join('\n'));
    });
    expect(findingsOf(root)).toEqual([
      {
        rule: 'statement-citation',
        problem: 'line 3 of README.md reads "*Understanding Distributed Systems*, chapter 27 \\"Downstream resiliency\\", section \\"Retries\\"."',
        fix: expect.stringMatching(/^start it with \*Understanding Distributed Systems\*, chapter 27 "Downstream resiliency", section "Retry: Exponential backoff"\. .*one of "Timeout", "Retry", /),
      },
    ]);
  });

  test('an import through ../ out of the exercise, and a subject name the manifest does not export', () => {
    const root = exercise((dir) => {
      const suite = join(dir, 'tests', 'retry-backoff.test.ts');
      const text = readFileSync(suite, 'utf8');
      writeFileSync(suite, `import { check as c } from '../../../src/verify/harness/index.ts';\nimport { retry as r, sleep } from 'learn-ds/subject/retry-backoff';\n${text}`);
    });
    expect(findingsOf(root).map((f) => [f.rule, f.problem])).toEqual([
      ['imports-by-name', 'retry-backoff/tests/retry-backoff.test.ts:1 imports "../../../src/verify/harness/index.ts", out of the exercise\'s folder'],
      ['subject-exports', 'retry-backoff/tests/retry-backoff.test.ts:2 imports `sleep` from learn-ds/subject/retry-backoff, not in the manifest\'s exports'],
    ]);
  });

  test('imports are read with the runtime names they bring (types left out), however the file begins', () => {
    const source = "export function f() { return 1; }\nimport { a, type B, c as d } from 'learn-ds/subject/x';\nimport * as ns from '../../y.ts';\nimport def, { e } from 'z';\nimport './side.ts';\nexport { g } from './g.ts';\nimport type { T } from 'learn-ds/subject/x';\n";
    expect(importsOf(source)).toEqual([
      { from: 'learn-ds/subject/x', names: ['a', 'c'], line: 2 },
      { from: '../../y.ts', names: ['*'], line: 3 },
      { from: 'z', names: ['e', 'default'], line: 4 },
      { from: './side.ts', names: ['*'], line: 5 },
      { from: './g.ts', names: ['g'], line: 6 },
      { from: 'learn-ds/subject/x', names: [], line: 7 },
    ]);
  });

  test('too few hints and mutants, a missing part of the statement', () => {
    const root = exercise((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'exercise.json'), 'utf8')) as { hints: string[] };
      writeFileSync(join(dir, 'exercise.json'), JSON.stringify({ ...manifest, hints: manifest.hints.slice(0, 2) }));
      for (const f of readdirSync(join(dir, 'mutants')).slice(4)) rmSync(join(dir, 'mutants', f));
      writeFileSync(join(dir, 'README.md'), readFileSync(join(dir, 'README.md'), 'utf8').replace('## Example', '## For example'));
    });
    expect(findingsOf(root)).toEqual([
      { rule: 'hints', problem: 'exercise.json has 2 hints', fix: 'give at least 3, from a nudge to nearly the answer' },
      { rule: 'statement-parts', problem: 'README.md has no "## Example" section', fix: expect.stringContaining('add "## Example"') },
      { rule: 'mutants', problem: 'retry-backoff has 4 mutants', fix: expect.stringContaining('write at least 5') },
    ]);
  });
});
