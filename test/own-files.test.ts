// Which files are learn-ds's own answers and checks (refused as a learner's file or import), and which code is learn-ds's.
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { isLearnDsCode, ownFileKind, refusedImport, refusedSubject } from '../src/verify/own-files.ts';

const root = '/opt/learn-ds';
const at = (p: string) => join(root, p);

afterEach(() => {
  delete process.env.LEARN_DS_AUTHOR;
});

test('references, hidden tests and mutants are learn-ds own; statements, starters and learner files are not', () => {
  expect(ownFileKind(at('solutions/token-bucket.ts'), root)).toBe('reference solution');
  expect(ownFileKind(at('exercises/token-bucket/tests/token-bucket.test.ts'), root)).toBe('hidden tests');
  expect(ownFileKind(at('exercises/token-bucket/tests/helpers/scene.ts'), root)).toBe('hidden tests');
  expect(ownFileKind(at('exercises/token-bucket/mutants/no-refill.ts'), root)).toBe('mutants');
  expect(ownFileKind(at('exercises/token-bucket/starter.ts'), root)).toBeUndefined();
  expect(ownFileKind(at('learn-ds/28-rate-limiting/token-bucket.ts'), root)).toBeUndefined();
  expect(ownFileKind('/home/me/solutions/token-bucket.ts', root)).toBeUndefined();
});

test("learn-ds's code: its sources, an exercise's folder but its mutants, packages", () => {
  expect(isLearnDsCode(at('src/verify/harness/time.ts'), root)).toBe(true);
  expect(isLearnDsCode(at('exercises/bulkhead/tests/bulkhead.test.ts'), root)).toBe(true);
  expect(isLearnDsCode(at('exercises/bulkhead/demo.ts'), root)).toBe(true);
  expect(isLearnDsCode('/home/me/node_modules/p-retry/index.js', root)).toBe(true);
  expect(isLearnDsCode(at('exercises/bulkhead/mutants/lifo-queue.ts'), root)).toBe(false);
  expect(isLearnDsCode(at('solutions/bulkhead.ts'), root)).toBe(false);
  expect(isLearnDsCode('/home/me/ws/26-bulkheads/bulkhead.ts', root)).toBe(false);
});

test('--file into them is refused with a message, unless an author says LEARN_DS_AUTHOR=1', () => {
  const solution = join(process.cwd(), 'solutions', 'token-bucket.ts');
  expect(refusedSubject(solution, 'solutions/token-bucket.ts')).toMatch(/^solutions\/token-bucket\.ts is learn-ds's own reference solution, not your code: verify judges the file you write/);
  expect(refusedSubject(join(process.cwd(), 'exercises', 'x', 'starter.ts'), 'starter.ts')).toBeUndefined();
  process.env.LEARN_DS_AUTHOR = '1';
  expect(refusedSubject(solution, 'solutions/token-bucket.ts')).toBeUndefined();
});

test('an import is refused naming the importer, what it wrote and what that is', () => {
  expect(refusedImport('mine.ts', '../solutions/x.ts', join(process.cwd(), 'solutions', 'x.ts'))).toBe(
    'mine.ts imports "../solutions/x.ts", which is learn-ds\'s reference solution: your file must do the work itself. Remove that import and write the code.',
  );
  expect(refusedImport('mine.ts', './util.ts', '/home/me/util.ts')).toBeUndefined();
});
