// `learn-ds run`: every demo draws its pictures with the reference solution and explains a learner's crash.
import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { runDemo } from '../src/verify/demo.ts';
import { noDemo } from '../src/cli/run.ts';
import { learnDs, tempDir } from './support/cli.ts';

const catalog = loadCatalog();
const withDemo = catalog.exercises.filter((e) => e.demoPath);
const TIMEOUT_SECONDS = 40; // a busy CI machine must not turn a demo into a timeout

describe.concurrent.each(withDemo.map((e) => [e.id, e] as const))('demo of %s', (_id, exercise) => {
  test('draws its pictures with the reference solution', async ({ expect }) => {
    const { pictures, verdict } = await runDemo({ exercise, file: exercise.solutionPath, shownFile: 'reference', seed: 1, timeoutSeconds: TIMEOUT_SECONDS });
    expect(verdict.checks.filter((c) => !c.passed)).toEqual([]);
    expect(pictures.length).toBeGreaterThan(0);
    for (const { picture } of pictures) expect(picture.split('\n').length).toBeGreaterThan(2);
  });

  test("with the starter, explains why it cannot draw (the starter's TODOs), or draws what the starter does", async ({ expect }) => {
    const { pictures, verdict } = await runDemo({ exercise, file: exercise.starterPath, shownFile: 'starter', seed: 1, timeoutSeconds: TIMEOUT_SECONDS });
    const failed = verdict.checks.filter((c) => !c.passed);
    // A starter that runs (property-tests' is one weak property) is drawn as it is, as a learner's file would be.
    if (failed.length === 0) return expect(pictures.length).toBeGreaterThan(0);
    expect(pictures.length).toBeLessThan(verdict.checks.length);
    expect(failed.map((c) => c.message).join('\n')).toContain('TODO');
  });
});

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
