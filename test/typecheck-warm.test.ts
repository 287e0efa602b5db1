/**
 * The daemon's warm type check (src/verify/daemon/type-checker.ts) answers as the cold one
 * (src/verify/typecheck.ts) does, file for file, and never from a stale parse: a changed file, or
 * a changed file it imports, is checked again.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { WarmTypeChecker } from '../src/verify/daemon/type-checker.ts';
import { runTypeCheck } from '../src/verify/typecheck.ts';
import { packageRoot } from '../src/package-paths.ts';
import { tempDir } from './support/cli.ts';

const warm = new WarmTypeChecker();
afterAll(() => warm.close());

function files(contents: Record<string, string>): string {
  const dir = tempDir('learn-ds-types-');
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the warm type check', () => {
  const clean = join(tempDir('learn-ds-types-'), 'mine.ts');
  copyFileSync(join(packageRoot, 'solutions', 'retry-backoff.ts'), clean);
  const cases: Array<[string, string, number]> = [
    ['a clean file (the reference of retry-backoff)', clean, 0],
    ['one type error', join(files({ 'mine.ts': 'export const n: number = "one";\n' }), 'mine.ts'), 1],
    ['a missing import', join(files({ 'mine.ts': "import { gone } from './nowhere.ts';\nexport const x = gone;\n" }), 'mine.ts'), 1],
    [
      'errors in a file the learner\'s file imports, and in the file itself',
      join(files({ 'helper.ts': 'export const half = (n: number): string => n / 2;\n', 'mine.ts': "import { half } from './helper.ts';\nexport const x: number = half('4');\n" }), 'mine.ts'),
      3,
    ],
    [
      'the simulation kit imported (learn-ds/sim), with a wrong use of it',
      join(files({ 'mine.ts': "import type { Simulation } from 'learn-ds/sim';\nexport const s: Simulation = 42;\n" }), 'mine.ts'),
      1,
    ],
  ];
  test.each(cases)('%s: the same problems as the cold check', async (_name, file, total) => {
    const [cold, hot] = await Promise.all([runTypeCheck(file, 120_000), warm.check(file, 120_000)]);
    expect(cold?.total).toBe(total);
    expect(hot).toEqual(cold);
  }, 180_000);

  test('a changed file, or a changed file it imports, is checked again', async () => {
    const dir = files({ 'helper.ts': 'export const twice = (n: number): number => n * 2;\n', 'mine.ts': "import { twice } from './helper.ts';\nexport const x: number = twice(2);\n" });
    const mine = join(dir, 'mine.ts');
    expect((await warm.check(mine))?.total).toBe(0);
    // The import now returns a string: mine.ts, unchanged, has an error.
    writeFileSync(join(dir, 'helper.ts'), "export const twice = (n: number): string => String(n * 2);\n");
    const broken = await warm.check(mine);
    expect(broken).toEqual(await runTypeCheck(mine, 120_000));
    expect(broken?.problems[0]).toMatchObject({ file: mine, line: 2 });
    // mine.ts follows: fixed again.
    writeFileSync(mine, "import { twice } from './helper.ts';\nexport const x: string = twice(2);\n");
    expect(await warm.check(mine)).toEqual({ problems: [], total: 0 });
    // A module that was missing appears: no stale "cannot find module".
    writeFileSync(mine, "import { later } from './later.ts';\nexport const y: number = later;\n");
    expect((await warm.check(mine))?.total).toBe(1);
    writeFileSync(join(dir, 'later.ts'), 'export const later = 1;\n');
    expect(await warm.check(mine)).toEqual({ problems: [], total: 0 });
  }, 180_000);
});
