/**
 * The promise every exercise makes: its reference solution passes, its starter fails, and every
 * mutant (a plausible wrong solution) fails with a message that names its mistake. A hidden suite
 * that a wrong solution passes is a bug, and this is where it shows.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { verify } from '../src/verify/verify.ts';
import type { Verdict } from '../src/verify/verdict.ts';
import { isBroken, loadMutants } from '../src/dev/mutants.ts';

const catalog = loadCatalog();
/** Reference solutions must pass under several seeds; mutants must fail under each of these. */
const SEEDS = [1, 2, 3];
/**
 * The learner's timeout is tight so that a runaway loop is reported soon; here, on a CI machine
 * busy with parallel runs, a slow start must not read as a wrong answer (timeouts have their own
 * test in bad-input.test.ts).
 */
const SELF_TEST_TIMEOUT_SECONDS = 40;

function failures(verdict: Verdict): string {
  return verdict.checks
    .filter((c) => !c.passed)
    .map((c) => `${c.name}\n${c.message ?? ''}\n${c.detail ?? ''}`)
    .join('\n---\n');
}

// Each check spawns a vitest child that mostly waits on start-up, so a few run side by side.
describe.concurrent.each(catalog.exercises.map((e) => [e.id, e] as const))('%s', (_id, exercise) => {
  test('ships a statement, starter, hidden suite, reference, at least 3 hints and 5 mutants', ({ expect }) => {
    const readme = readFileSync(exercise.readmePath, 'utf8');
    expect(readme.startsWith(`# ${exercise.title}\n`), 'README.md starts with "# <title>"').toBe(true);
    expect(readme, 'the statement names its chapter').toContain(`chapter ${exercise.chapter.number}`);
    expect(existsSync(exercise.starterPath)).toBe(true);
    expect(existsSync(exercise.solutionPath)).toBe(true);
    expect(readdirSync(join(exercise.dir, 'tests')).filter((f) => f.endsWith('.test.ts')).length).toBeGreaterThan(0);
    expect(exercise.hints.length).toBeGreaterThanOrEqual(3);
    expect(loadMutants(exercise).length).toBeGreaterThanOrEqual(5);
  });

  test.for(SEEDS)('the reference solution passes (seed %i)', async (seed, { expect }) => {
    const verdict = await verify({ exercise, file: exercise.solutionPath, shownFile: 'reference', seed, timeoutSeconds: SELF_TEST_TIMEOUT_SECONDS });
    expect(verdict.passed, failures(verdict)).toBe(true);
    expect(verdict.checks.length).toBeGreaterThan(3);
  });

  test('the starter fails', async ({ expect }) => {
    const verdict = await verify({ exercise, file: exercise.starterPath, shownFile: 'starter', seed: 1, timeoutSeconds: SELF_TEST_TIMEOUT_SECONDS });
    expect(verdict.passed).toBe(false);
    // The starter loads fine: it fails on behaviour, not on a missing export or a syntax error.
    expect(verdict.checks[0]?.passed, failures(verdict)).toBe(true);
  });

  describe.each(loadMutants(exercise).map((m) => [m.name, m] as const))('mutant %s', (_name, mutant) => {
    if (isBroken(mutant)) {
      test('can be judged', () => {
        throw new Error(mutant.problem);
      });
      return;
    }
    test.for(SEEDS.slice(0, 2))(`fails and names the mistake: ${mutant.mistake} (seed %i)`, async (seed, { expect }) => {
      const verdict = await verify({ exercise, file: mutant.file, shownFile: mutant.name, seed, timeoutSeconds: SELF_TEST_TIMEOUT_SECONDS });
      expect(verdict.passed, `mutant ${mutant.name} passed: the hidden suite misses "${mutant.mistake}"`).toBe(false);
      expect(verdict.checks[0]?.passed, `mutant ${mutant.name} does not even load:\n${failures(verdict)}`).toBe(true);
      expect(failures(verdict).toLowerCase(), `no failure mentions "${mutant.expect}"`).toContain(mutant.expect.toLowerCase());
    });
  });
});
