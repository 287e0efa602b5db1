// Mutants as patches (src/dev/mutants.ts): headers, applying, what a stale patch says, converting.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { convertMutant, keepReferenceComments } from '../src/dev/convert-mutants.ts';
import { applyMutantPatch, createMutantPatch, isBroken, loadMutants, parseMutantHeader, splitHeader } from '../src/dev/mutants.ts';
import { tempDir } from './support/cli.ts';

const reference = [
  '/** Adds two numbers. */',
  'export function add(a: number, b: number): number {',
  '  // The sum, plainly.',
  '  return a + b;',
  '}',
  '',
  'export function twice(x: number): number {',
  '  return add(x, x);',
  '}',
  '',
].join('\n');
const header = '// mistake: subtracts instead of adding\n// expect: sum\n';
const wrong = reference.replace('return a + b;', 'return a - b;');
const shown = { patch: 'exercises/demo/mutants/minus.patch', reference: 'solutions/demo.ts' };

describe('the header', () => {
  test('is a mistake line, which may go on over more comment lines, then an expect line', () => {
    expect(parseMutantHeader(header, 'm')).toEqual({ mistake: 'subtracts instead of adding', expect: 'sum' });
    expect(parseMutantHeader('// mistake: one,\n// and two\n// expect: x\ncode', 'm')).toEqual({ mistake: 'one, and two', expect: 'x' });
    expect(splitHeader(`${header}code\n`)).toEqual({ header, body: 'code\n' });
  });

  test.each(['code\n', '// expect: x\n// mistake: y\n', '// mistake: y\ncode\n// expect: x\n', '// mistake: \n// expect: x\n'])('is required: %j', (text) => {
    expect(() => parseMutantHeader(text, 'exercises/demo/mutants/m.ts')).toThrow(/exercises\/demo\/mutants\/m\.ts: a mutant starts with a "\/\/ mistake: /);
  });
});

describe('a patch', () => {
  const patch = createMutantPatch('demo', header, reference, wrong);

  test('is the header, then a unified diff of the reference with a/ b/ names', () => {
    expect(patch).toBe(`${header}--- a/solutions/demo.ts\n+++ b/solutions/demo.ts\n@@ -1,7 +1,7 @@\n /** Adds two numbers. */\n export function add(a: number, b: number): number {\n   // The sum, plainly.\n-  return a + b;\n+  return a - b;\n }\n \n export function twice(x: number): number {\n`);
  });

  test('applied to the reference gives the wrong solution back', () => {
    expect(applyMutantPatch(patch, reference, shown)).toBe(wrong);
  });

  test('still applies when the reference changed elsewhere', () => {
    const moved = `// A new first line.\n${reference}`;
    expect(applyMutantPatch(patch, moved, shown)).toBe(`// A new first line.\n${wrong}`);
  });

  test('that no longer applies fails naming the mutant, the reference and the line that differs', () => {
    const changed = reference.replace('return a + b;', 'return b + a;');
    expect(() => applyMutantPatch(patch, changed, shown)).toThrow(
      'exercises/demo/mutants/minus.patch no longer applies to solutions/demo.ts: hunk @@ -1,7 @@: line 4 should read "  return a + b;" but the reference has "  return b + a;"',
    );
  });

  test('without a diff is an error naming it', () => {
    expect(() => applyMutantPatch(header, reference, shown)).toThrow(/minus\.patch: no diff after the header/);
  });
});

describe('loadMutants', () => {
  function exercise(files: Record<string, string>) {
    const root = tempDir();
    const dir = join(root, 'exercises', 'demo');
    mkdirSync(join(dir, 'mutants'), { recursive: true });
    mkdirSync(join(root, 'solutions'));
    writeFileSync(join(root, 'solutions', 'demo.ts'), reference);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'mutants', name), text);
    return { id: 'demo', dir, solutionPath: join(root, 'solutions', 'demo.ts') };
  }

  test('writes each patched reference where verify can judge it, beside whole-file mutants', () => {
    const host = exercise({ 'minus.patch': createMutantPatch('demo', header, reference, wrong), 'other.ts': `${header}export const add = () => 0;\n` });
    const [minus, other] = loadMutants(host);
    if (!minus || !other || isBroken(minus) || isBroken(other)) throw new Error('both mutants load');
    expect(minus).toMatchObject({ name: 'minus', kind: 'patch', mistake: 'subtracts instead of adding', expect: 'sum' });
    expect(readFileSync(minus.file, 'utf8')).toBe(wrong);
    expect(minus.file.startsWith(host.dir)).toBe(false);
    expect(other).toMatchObject({ name: 'other', kind: 'file', file: join(host.dir, 'mutants', 'other.ts') });
  });

  test('a reference that imports its sibling references (kv-store) gets copies of them beside each patched mutant', () => {
    const builds = `import { add } from './demo-base.ts';\n${reference.replace('export function add', 'export function plus')}`;
    const host = exercise({ 'minus.patch': createMutantPatch('demo', header, builds, builds.replace('return a + b;', 'return a - b;')) });
    writeFileSync(host.solutionPath, builds);
    writeFileSync(join(host.solutionPath, '..', 'demo-base.ts'), 'export const add = (a: number, b: number) => a + b;\n');
    const [minus] = loadMutants(host);
    if (!minus || isBroken(minus)) throw new Error('the mutant loads');
    expect(readFileSync(join(minus.file, '..', 'demo-base.ts'), 'utf8')).toBe('export const add = (a: number, b: number) => a + b;\n');
  });

  test('one that cannot be judged says why, and the others still load', () => {
    const stale = createMutantPatch('demo', header, reference.replace('a + b', 'b + a'), wrong.replace('a - b', 'b - a'));
    const [bad, good] = loadMutants(exercise({ 'a-stale.patch': stale, 'b-minus.patch': createMutantPatch('demo', header, reference, wrong) }));
    expect(bad).toMatchObject({ name: 'a-stale', problem: expect.stringContaining('exercises/demo/mutants/a-stale.patch no longer applies to solutions/demo.ts') });
    expect(good && isBroken(good)).toBe(false);
  });
});

describe('converting a whole-file mutant', () => {
  test("keeps the reference's comments where the mutant dropped them", () => {
    const bare = wrong.replace('/** Adds two numbers. */\n', '').replace('  // The sum, plainly.\n', '');
    expect(keepReferenceComments(reference, bare)).toBe(wrong);
  });

  test('makes a patch of a local mistake, the same program as the mutant', async () => {
    const result = await convertMutant('demo', header + wrong.replace('  // The sum, plainly.\n', ''), reference, 'm.ts');
    expect(result).toEqual({ kind: 'patch', text: createMutantPatch('demo', header, reference, wrong), changed: 2, of: 9 });
  });

  test('keeps a different solution as a file', async () => {
    const different = `${header}export const add = (a: number, b: number) => a * b;\nexport const twice = (x: number) => x * 2;\n`;
    expect(await convertMutant('demo', different, reference, 'm.ts')).toMatchObject({ kind: 'file' });
  });
});
