// `learn-ds run`: the command and its messages. That every demo draws its pictures with the reference
// and names the starter's TODOs is the demo rule of src/dev/rules.ts, proven for every exercise
// through its proof's warm runner (test/exercises.test.ts); warm demos equal cold ones
// (test/warm-verifier.test.ts).
import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { noDemo } from '../src/cli/run.ts';
import { learnDs, tempDir } from './support/cli.ts';

const catalog = loadCatalog();
const withDemo = catalog.exercises.filter((e) => e.demoPath);

/** A learner's file that happens to hold the reference's code (learn-ds refuses its own files). */
function learnerCopy(file: string): string {
  const copy = join(tempDir(), basename(file));
  copyFileSync(file, copy);
  return copy;
}

describe('learn-ds run', () => {
  test('prints the pictures of a file and says nothing was judged', async () => {
    const id = withDemo[0]!.id;
    const result = await learnDs(tempDir(), ['run', id, '--file', learnerCopy(withDemo[0]!.solutionPath)]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('it judges nothing');
  }, 60_000);

  // Every exercise has a demo today; the format keeps it optional, so the message is checked on its own.
  test('names the exercises that have a demo when this one has none', () => {
    const without = { ...catalog.exercises[0]!, id: 'no-picture', demoPath: undefined };
    expect(noDemo(without, catalog.exercises)).toBe(`no-picture has no demo yet. Exercises with one: ${withDemo.map((e) => e.id).join(', ')}.`);
    expect(noDemo(without, [without])).toBe('no-picture has no demo yet.');
  });
});
