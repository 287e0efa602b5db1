/**
 * Learner files that are broken in every way the verifier promises to handle: each gets a clear,
 * failing verdict that says what is wrong, never a pass and never a hang. Real runs of the verifier
 * (child process and all) against the retry-backoff exercise. The broken files that
 * test/warm-verifier.test.ts judges cold anyway (same exercise, seed and limit: process.exit, a
 * missing export, a thrown non-Error, an unhandled rejection, a timer left running, megabytes
 * printed, an infinite loop cut by its CPU-time limit) have their messages checked there, on those
 * very verdicts, rather than judged a second time here.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { verify } from '../src/verify/verify.ts';
import type { Verdict } from '../src/verify/verdict.ts';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';

const fixtures = fileURLToPath(new URL('./fixtures/bad-input/', import.meta.url));

/** A generous limit by default: a busy CI machine must not turn these verdicts into timeouts. */
async function judge(file: string, timeoutSeconds = 40, id = 'retry-backoff'): Promise<Verdict> {
  return verify({ exercise: loadCatalog().byId.get(id)!, file, shownFile: 'learner.ts', seed: 1, timeoutSeconds });
}

function failedMessages(verdict: Verdict): string {
  return verdict.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}\n${c.detail ?? ''}`).join('\n');
}

describe.concurrent('a broken learner file gets a clear failing verdict', () => {
  test.for([
    ['syntax-error.ts', /learner\.ts:2:\d+: syntax error/],
    ['imports-missing-exercise.ts', /could not be loaded: .*\.\.\/16-partitioning\/consistent-hashing\.ts does not exist yet: .*`learn-ds start consistent-hashing`/],
    ['empty.ts', /learner\.ts is empty/],
    ['imports-reference.ts', /imports-reference\.ts imports "\.\.\/\.\.\/\.\.\/solutions\/retry-backoff\.ts", which is learn-ds's reference solution/],
    ['imports-reference-via-helper.ts', /helpers\/reexport-reference\.ts imports "[./]+solutions\/retry-backoff\.ts", which is learn-ds's reference solution/],
    ['imports-reference-absolute.ts', /your code imports "\/.*\/solutions\/retry-backoff\.ts", which is learn-ds's reference solution/],
    ['imports-hidden-tests.ts', /imports "[./]+exercises\/retry-backoff\/tests\/retry-backoff\.test\.ts", which is learn-ds's hidden tests/],
  ] as const)('%s', async ([name, message], { expect }) => {
    const verdict = await judge(join(fixtures, name));
    expect(verdict.passed).toBe(false);
    expect(failedMessages(verdict)).toMatch(message);
  });

  // One rule for every exercise, virtual time included: a constructor that starts an interval.
  test('an interval left running under virtual time fails every check that made one, naming where', async ({ expect }) => {
    const verdict = await judge(join(fixtures, 'token-bucket-starts-interval.ts'), 40, 'token-bucket');
    expect(verdict.passed).toBe(false);
    const failed = verdict.checks.filter((c) => !c.passed);
    expect(failed.length).toBeGreaterThan(3);
    expect(failed[0]!.message).toMatch(/^your code left 1 timer running after the check ended/);
    expect(failed[0]!.detail).toMatch(/^setInterval \(new TokenBucket \(.*token-bucket-starts-interval\.ts:\d+:\d+\)\)$/);
  });

  // Simulated exercises: node code that bypasses its context is named at the first call, not by a rule it later breaks.
  test.for([
    ['sim-uses-settimeout.ts', /^node \S+ called setTimeout: in the simulator, use ctx\.setTimer\(delayMs, callback\)/],
    ['sim-uses-date-now.ts', /^node \S+ called Date\.now\(\): in the simulator, use ctx\.now\(\)/],
    ['sim-uses-performance-now.ts', /^node \S+ called performance\.now\(\): in the simulator, use ctx\.now\(\)/],
    ['sim-uses-math-random.ts', /^node \S+ called Math\.random\(\): in the simulator, use ctx\.random\(\)/],
  ] as const)('%s', async ([name, message], { expect }) => {
    const verdict = await judge(join(fixtures, name), 40, 'failure-detector');
    expect(verdict.passed).toBe(false);
    const failed = verdict.checks.filter((c) => !c.passed);
    expect(failed.length).toBeGreaterThan(0);
    for (const check of failed) expect(check.message).toMatch(message);
  });

  test('a syntax error is shown with its line and a caret under the column', async ({ expect }) => {
    const verdict = await judge(join(fixtures, 'syntax-error.ts'));
    expect(verdict.checks).toHaveLength(1);
    expect(verdict.checks[0]!.detail).toContain('2 |   const x = (op;');
    expect(verdict.checks[0]!.detail).toMatch(/\n\s+\|\s+\^$/);
  });

  test("--file naming one of learn-ds's own references, tests or mutants is refused", async ({ expect }) => {
    for (const [path, kind] of [
      ['solutions/retry-backoff.ts', "learn-ds's own reference solution"],
      ['exercises/retry-backoff/tests/retry-backoff.test.ts', "one of learn-ds's hidden tests"],
    ] as const) {
      const result = await learnDs(tempDir(), ['verify', 'retry-backoff', '--file', join(repoRoot, path)]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`is ${kind}, not your code`);
    }
  });

  test('a missing file and a binary file are named, not run', async ({ expect }) => {
    const dir = tempDir();
    expect(failedMessages(await judge(join(dir, 'nope.ts')))).toMatch(/learner\.ts does not exist/);
    const binary = join(dir, 'binary.ts');
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
    expect(failedMessages(await judge(binary))).toMatch(/binary file/);
  });
});
