// The learner's experience, pure parts: statements rendered for the terminal, list filters,
// progress by part and chapter, doctor's checks, messages about unwritable places, prompts.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { Exercise } from '../src/catalog/catalog.ts';
import { CHAPTERS } from '../src/catalog/chapters.ts';
import { filterExercises, partNamed } from '../src/catalog/filter.ts';
import { canPrompt } from '../src/cli/interactive.ts';
import { writeProblem } from '../src/cli/write-problem.ts';
import { checkNode, checkProgressText, checkTypes } from '../src/doctor/checks.ts';
import { listJson } from '../src/report/catalog.ts';
import { fitColumns, markList, renderMarkdown, wrapWords } from '../src/report/markdown.ts';
import { DEFAULT_WIDTH, MAX_WIDTH, textWidth } from '../src/report/rendered-markdown.ts';
import { progressJson, renderProgress, summarizeProgress } from '../src/report/progress.ts';
import { LockTimeoutError, isStale } from '../src/workspace/lock.ts';
import { emptyProgress, markStarted, recordAttempt, serializeProgress } from '../src/workspace/progress.ts';

/** An exercise as the catalog would give it, for the chapter named (the rest does not matter here). */
function fake(id: string, chapterNumber: number, number: number): Exercise {
  const chapter = CHAPTERS.get(chapterNumber)!;
  // Only what these functions read; the catalog's own fields may grow.
  return {
    id, number, title: `Title of ${id}`, chapter: { number: chapter.number, title: chapter.title }, part: chapter.part!,
    section: 'A section', order: 0, difficulty: 'easy', file: `${id}.ts`, exports: ['x'], timeoutSeconds: 10, hints: ['h'],
    chapterInfo: chapter,
  } as Exercise;
}
const exercises = [fake('a', 3, 1), fake('b', 8, 2), fake('c', 27, 3), fake('d', 27, 4), fake('e', 28, 5)];

const width = (text: string) => Math.max(...stripVTControlCharacters(text).split('\n').map((l) => l.length));

describe('statements rendered for the terminal', () => {
  const statement = [
    '# Retry with backoff',
    '',
    '*Understanding Distributed Systems*, chapter 27 "Downstream resiliency", section "Retry".',
    '',
    'A call can fail for reasons that go away by themselves, so a client retries a bounded number of times and waits longer each time.',
    '',
    '## The contract',
    '',
    '1. `retry` calls `op(1)`, `op(2)`, … one after the other, until a call resolves or `maxAttempts` calls have failed, and **never** more.',
    '   - a nested point, long enough that it has to be wrapped inside its own indentation at a narrow width',
    '   - another',
    '2. The second rule.',
    '',
    '| option | meaning |',
    '|---|---|',
    '| `maxAttempts` | every call counts, the first one included, which makes for a long cell that must wrap |',
    '',
    '```ts',
    'const user = await retry(() => fetch(url), { maxAttempts: 4 });',
    '```',
  ].join('\n');

  test('headings, the chapter line, lists, tables and code come out readable, within the width', () => {
    const out = renderMarkdown(statement, { width: 60, color: false });
    expect(out).not.toMatch(/\u001b/);
    expect(out).toContain('# Retry with backoff');
    expect(out.replace(/\s+/g, ' ')).toContain('Understanding Distributed Systems, chapter 27 "Downstream resiliency", section "Retry".');
    expect(out).toMatch(/^ {2}1\. `retry` calls `op\(1\)`/m); // code spans keep their backticks without colour
    expect(out).toMatch(/^ {7}• a nested point/m); // under the item's text
    expect(out).toMatch(/^ {2}2\. The second rule\./m); // not renumbered by the nested list
    expect(out).toContain('never more'); // bold, parsed
    expect(out).toMatch(/│ option\s+│ meaning/);
    expect(out).toContain('const user = await retry(() => fetch(url), { maxAttempts: 4 });'); // code is never wrapped
    const prose = out.split('\n').filter((l) => !l.includes('const user'));
    expect(width(prose.join('\n'))).toBeLessThanOrEqual(60);
  });

  test('with colour, code is highlighted and spans are styled', () => {
    const out = renderMarkdown(statement, { width: 80, color: true });
    // chalk's level decides whether marked-terminal emits colour: only check when it does.
    if (!/\u001b\[/.test(out)) return;
    expect(stripVTControlCharacters(out)).toContain('retry calls op(1)');
  });

  test('the width: the terminal\'s within bounds, 80 when not a terminal', () => {
    expect(textWidth({ isTTY: false, columns: 200 })).toBe(DEFAULT_WIDTH);
    expect(textWidth({ isTTY: true, columns: 72 })).toBe(71);
    expect(textWidth({ isTTY: true, columns: 300 })).toBe(MAX_WIDTH);
    expect(textWidth({ isTTY: true, columns: 10 })).toBe(40);
    expect(textWidth({ isTTY: true })).toBe(DEFAULT_WIDTH);
  });

  test('wrapping never starts a line with what would read as a list marker', () => {
    expect(wrapWords('aaaa bbbb cccc', 9)).toEqual(['aaaa bbbb', 'cccc']);
    expect(wrapWords('version of it 1.5 is fine', 13)).toEqual(['version of it 1.5', 'is fine']);
    expect(markList('* one\ncontinued\n* two', { ordered: true, start: 1, marker: 3 })).toBe('1. one\n   continued\n2. two');
  });

  test('tables: natural widths when they fit, shrunk to fit otherwise', () => {
    expect(fitColumns([5, 10], 80)).toBeUndefined();
    const cols = fitColumns([10, 200], 60)!;
    expect(cols[0]).toBe(12);
    expect(cols.reduce((a, b) => a + b, 0) + cols.length + 1).toBeLessThanOrEqual(60);
  });
});

describe('list filters', () => {
  test('a part by name, case-insensitive, a prefix when it names one part', () => {
    expect(partNamed('resiliency')).toEqual({ part: 'Resiliency' });
    expect(partNamed('RES')).toEqual({ part: 'Resiliency' });
    expect(partNamed('co')).toEqual({ candidates: ['Communication', 'Coordination'] });
    expect(partNamed('nope')).toMatchObject({ candidates: expect.arrayContaining(['Scalability']) });
    // A typo is not taken for a part, but suggested.
    expect(partNamed('resilency')).toEqual({ candidates: ['Resiliency'] });
    expect(partNamed('Scalabilty')).toEqual({ candidates: ['Scalability'] });
  });

  test('part, chapter and todo combine', () => {
    const passed = new Set(['c']);
    const ids = (f: Parameters<typeof filterExercises>[1]) => filterExercises(exercises, f, (id) => passed.has(id)).map((e) => e.id);
    expect(ids({ part: 'Resiliency' })).toEqual(['c', 'd', 'e']);
    expect(ids({ chapter: 27 })).toEqual(['c', 'd']);
    expect(ids({ part: 'Resiliency', todo: true })).toEqual(['d', 'e']);
    expect(ids({})).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('list --json: one stable shape per exercise', () => {
    const json = JSON.parse(listJson(exercises.slice(0, 1), markStarted(emptyProgress(), 'a')));
    expect(json).toEqual({
      exercises: [
        { number: 1, id: 'a', title: 'Title of a', chapter: { number: 3, title: 'Secure links' }, part: 'Communication', section: 'A section', difficulty: 'easy', status: 'current' },
      ],
    });
  });
});

describe('progress by part and by chapter', () => {
  const progress = recordAttempt(recordAttempt(markStarted(emptyProgress(), 'd'), 'c', true), 'e', true);
  const summary = summarizeProgress(exercises, progress);

  test('counts per part and per chapter that has exercises, in book order', () => {
    expect(summary).toMatchObject({ passed: 2, total: 5, current: { id: 'd', passed: false } });
    expect(summary.parts.map((p) => [p.name, p.passed, p.total])).toEqual([['Communication', 0, 1], ['Coordination', 0, 1], ['Resiliency', 2, 3]]);
    expect(summary.parts[2]!.chapters).toEqual([
      { number: 27, title: 'Downstream resiliency', passed: 1, total: 2 },
      { number: 28, title: 'Upstream resiliency', passed: 1, total: 1 },
    ]);
  });

  test('renders bars and counts; --json has the documented shape', () => {
    const text = renderProgress(summary);
    expect(text).toMatch(/Passed 2 of 5 exercises/);
    expect(text).toMatch(/Resiliency\s+█+░+ 2\/3/);
    expect(text).toMatch(/27 {2}Downstream resiliency\s+█+░+ 1\/2/);
    const json = JSON.parse(progressJson(summary));
    expect(Object.keys(json)).toEqual(['passed', 'total', 'current', 'parts']);
    expect(Object.keys(json.parts[0])).toEqual(['name', 'passed', 'total', 'chapters']);
  });
});

describe('doctor checks', () => {
  test('Node.js 20.19 or newer', () => {
    expect(checkNode('v20.19.0').status).toBe('ok');
    expect(checkNode('v22.1.0').status).toBe('ok');
    expect(checkNode('v20.18.3')).toMatchObject({ status: 'fail', fix: expect.stringContaining('nodejs.org') });
  });

  test('the progress file: missing is fine, broken or newer says what to do', () => {
    expect(checkProgressText('/w/p.json', undefined).status).toBe('ok');
    expect(checkProgressText('/w/p.json', serializeProgress(recordAttempt(emptyProgress(), 'a', true)))).toMatchObject({ status: 'ok', detail: expect.stringContaining('1 passed') });
    expect(checkProgressText('/w/p.json', '{"version": 1, "cur')).toMatchObject({ status: 'fail', fix: expect.stringContaining('reset --progress') });
    expect(checkProgressText('/w/p.json', '{"version": 7, "current": null, "exercises": {}}')).toMatchObject({ status: 'fail', fix: expect.stringContaining('Upgrade') });
  });

  test("editor types: the tsconfig's typeRoots and paths must exist", () => {
    const expected = JSON.stringify({ compilerOptions: { typeRoots: ['../node_modules/@types'], paths: { 'learn-ds/sim': ['../src/sim/index.ts'] } } });
    const there = new Set(['../node_modules/@types/node/index.d.ts', '../src/sim/index.ts']);
    const exists = (p: string) => there.has(p);
    expect(checkTypes('/w/tsconfig.json', expected, expected, exists).status).toBe('ok');
    const moved = JSON.stringify({ compilerOptions: { typeRoots: ['../../old/node_modules/@types'] } });
    expect(checkTypes('/w/tsconfig.json', moved, expected, exists)).toMatchObject({ status: 'fail', fix: expect.stringContaining('"typeRoots": ["../node_modules/@types"]') });
    expect(checkTypes('/w/tsconfig.json', undefined, expected, exists)).toMatchObject({ status: 'fail', detail: expect.stringContaining('missing') });
    expect(checkTypes('/w/tsconfig.json', '{ // comments', expected, exists)).toMatchObject({ status: 'fail', detail: expect.stringContaining('not plain JSON') });
    const badPath = JSON.stringify({ compilerOptions: { typeRoots: ['../node_modules/@types'], paths: { 'learn-ds/sim': ['../gone.ts'] } } });
    expect(checkTypes('/w/tsconfig.json', badPath, expected, exists)).toMatchObject({ status: 'fail', detail: expect.stringContaining('../gone.ts') });
  });
});

describe('messages about places learn-ds cannot write', () => {
  const fsError = (code: string, path: string, dest?: string) => Object.assign(new Error(`${code}: x`), { code, path, ...(dest ? { dest } : {}) });

  test('name the folder, the reason and a fix; other errors are not theirs', () => {
    expect(writeProblem(fsError('EACCES', '/w/.learn-ds/.progress.json.1.2.tmp'))).toBe(
      'cannot write in /w/.learn-ds (permission denied). Make it writable, or keep your workspace elsewhere with --workspace DIR',
    );
    expect(writeProblem(fsError('EROFS', '/src/starter.ts', '/w/27-x/retry.ts'))).toMatch(/^cannot write in \/w\/27-x \(read-only file system\)/);
    expect(writeProblem(fsError('ENOSPC', '/w/a'))).toMatch(/Free some disk space/);
    expect(writeProblem(new LockTimeoutError('/w/.learn-ds/progress.json.lock', 42))).toMatch(/process 42.*delete \/w\/\.learn-ds\/progress\.json\.lock/);
    expect(writeProblem(fsError('ENOENT', '/w/a'))).toBeUndefined();
    expect(writeProblem(new Error('boom'))).toBeUndefined();
  });
});

describe('prompts and locks', () => {
  test('a prompt only with a terminal on both ends and CI unset', () => {
    expect(canPrompt({}, { isTTY: true }, { isTTY: true })).toBe(true);
    expect(canPrompt({ CI: 'true' }, { isTTY: true }, { isTTY: true })).toBe(false);
    expect(canPrompt({}, { isTTY: false }, { isTTY: true })).toBe(false);
    expect(canPrompt({}, { isTTY: true }, {})).toBe(false);
  });

  test('a lock is stale when its holder is dead, or when it is old', () => {
    const alive = (pid: number) => pid === 1;
    expect(isStale(2, 0, alive, 5_000)).toBe(true);
    expect(isStale(1, 100, alive, 5_000)).toBe(false);
    expect(isStale(1, 6_000, alive, 5_000)).toBe(true);
    expect(isStale(undefined, 100, alive, 5_000)).toBe(false); // being written right now
  });
});

describe('where `next` creates a workspace', () => {
  test('inside learn-ds\'s own source tree, at the clone\'s top rather than among the sources', async () => {
    const { newWorkspaceRoot } = await import('../src/workspace/workspace.ts');
    const own = '/home/ada/learn-ds-clone';
    expect(newWorkspaceRoot(`${own}/src/cli`, undefined, {}, own)).toBe(`${own}/learn-ds`);
    expect(newWorkspaceRoot(`${own}/exercises`, undefined, {}, own)).toBe(`${own}/learn-ds`);
    expect(newWorkspaceRoot(own, undefined, {}, own)).toBe(`${own}/learn-ds`);
    expect(newWorkspaceRoot('/home/ada', undefined, {}, own)).toBe('/home/ada/learn-ds');
    expect(newWorkspaceRoot(`${own}-other/x`, undefined, {}, own)).toBe(`${own}-other/x/learn-ds`);
    expect(newWorkspaceRoot(`${own}/src`, 'ws', {}, own)).toBe(`${own}/src/ws`); // named: where the learner said
  });
});

describe('a progress file from a newer learn-ds', () => {
  test('the advice fits a clone (git pull), not a package install', async () => {
    const { ProgressFileError } = await import('../src/workspace/progress-store.ts');
    const newer = new ProgressFileError('/w/p.json', '/w/copy.json', 'newer learn-ds (format 9)', true);
    expect(newer.message).toContain('`git pull && npm install`');
    expect(newer.message).not.toContain('npm install learn-ds@latest');
    expect(checkProgressText('/w/p.json', '{"version": 7, "current": null, "exercises": {}}')).toMatchObject({ fix: expect.stringContaining('git pull && npm install') });
  });
});
