// runProperty (src/verify/harness/run-property.ts): a learner's fast-check property run by a suite,
// seeded, with fast-check's settings fixed, under a CPU limit; and fast-check resolving from a
// learner's workspace, for exercises where the learner writes the properties (that a learner file
// importing it type-checks in a new workspace, as in the editor, is test/workspace.test.ts's tsc run).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { isProperty, runProperty, type PropertyRunOptions } from '../src/verify/harness/run-property.ts';
import { startTypeCheck } from '../src/verify/typecheck.ts';
import { createWorkspace } from '../src/workspace/workspace.ts';
import { tempDir } from './support/cli.ts';

const base: PropertyRunOptions = { seed: 42, numRuns: 100, cpuLimitMs: 60_000, shrink: true };

/** A CPU clock that moves `step` ms each time it is read. */
function fakeCpu(step: number): () => number {
  let now = 0;
  return () => (now += step);
}

afterEach(() => fc.resetConfigureGlobal());

describe('runProperty', () => {
  test('a property that holds runs numRuns times', async () => {
    const outcome = await runProperty(fc.property(fc.integer(), (n) => n + 0 === n), base);
    expect(outcome).toMatchObject({ kind: 'held', runs: 100 });
  });

  test('a failing property is shrunk to its smallest counterexample, with the error it threw', async () => {
    const outcome = await runProperty(
      fc.property(fc.integer({ min: 0, max: 1_000 }), (n) => {
        if (n >= 10) throw new Error(`too big: ${n}`);
      }),
      base,
    );
    expect(outcome).toMatchObject({ kind: 'failed', counterexample: '[10]' });
    expect(outcome.kind === 'failed' && (outcome.error as Error).message).toBe('too big: 10');
  });

  test('without shrinking, it stops at the first failure', async () => {
    let calls = 0;
    const outcome = await runProperty(fc.property(fc.integer({ min: 10, max: 1_000 }), () => ++calls < 0), { ...base, shrink: false });
    expect(outcome).toMatchObject({ kind: 'failed', runs: 1 });
    expect(calls).toBe(1);
  });

  test('async properties run too', async () => {
    expect(await runProperty(fc.asyncProperty(fc.nat(), async (n) => n >= 0), base)).toMatchObject({ kind: 'held', runs: 100 });
    expect(await runProperty(fc.asyncProperty(fc.nat(), async (n) => n < 5), base)).toMatchObject({ kind: 'failed', counterexample: '[5]' });
  });

  test('is seeded: the same seed draws the same values, another seed others', async () => {
    const drawn = async (seed: number) => {
      const values: number[] = [];
      await runProperty(fc.property(fc.integer(), (n) => void values.push(n)), { ...base, seed, numRuns: 20 });
      return values;
    };
    expect(await drawn(7)).toEqual(await drawn(7));
    expect(await drawn(7)).not.toEqual(await drawn(8));
  });

  test("ignores fast-check's global settings: a learner cannot lower the runs, pin the seed or add plugins", async () => {
    const values: number[] = [];
    fc.configureGlobal({ numRuns: 1, seed: 1, endOnFailure: true, interruptAfterTimeLimit: 0, markInterruptAsFailure: true });
    const outcome = await runProperty(fc.property(fc.integer(), (n) => void values.push(n)), { ...base, numRuns: 30 });
    expect(outcome).toMatchObject({ kind: 'held', runs: 30 });
    fc.resetConfigureGlobal();
    const again: number[] = [];
    await runProperty(fc.property(fc.integer(), (n) => void again.push(n)), { ...base, numRuns: 30 });
    expect(values).toEqual(again);
  });

  test('stops a property once it has used its CPU time, before any failure', async () => {
    // Each read of the clock moves it 10 ms: the start, then one read before each run.
    const outcome = await runProperty(fc.property(fc.integer(), () => true), { ...base, cpuLimitMs: 55, cpuNow: fakeCpu(10) });
    expect(outcome).toMatchObject({ kind: 'out-of-time' });
    expect(outcome.runs).toBeGreaterThan(0);
    expect(outcome.runs).toBeLessThan(10);
  });

  test('out of time while shrinking: the failure is kept, with the smallest counterexample found so far', async () => {
    const outcome = await runProperty(fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => n < 10), {
      ...base,
      cpuLimitMs: 300,
      cpuNow: fakeCpu(10),
    });
    expect(outcome.kind).toBe('failed');
    const smallest = outcome.kind === 'failed' ? Number(/\d+/.exec(outcome.counterexample)![0]) : NaN;
    expect(smallest).toBeGreaterThanOrEqual(10);
  });

  test('an async run that never settles fails after runTimeoutMs', async () => {
    const outcome = await runProperty(fc.asyncProperty(fc.nat(), () => new Promise<boolean>(() => {})), { ...base, shrink: false, runTimeoutMs: 20 });
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && String(outcome.error)).toMatch(/timeout/i);
  });

  test('a property that rejects every case (fc.pre) is reported as skipped', async () => {
    const outcome = await runProperty(fc.property(fc.nat(), (n) => fc.pre(n < 0)), base);
    expect(outcome.kind).toBe('skipped');
  });

  test('isProperty tells fast-check properties from everything else', () => {
    expect(isProperty(fc.property(fc.nat(), () => true))).toBe(true);
    expect(isProperty(fc.asyncProperty(fc.nat(), async () => true))).toBe(true);
    for (const other of [fc.nat(), () => true, {}, null, undefined, 'property', [fc.property(fc.nat(), () => true)]]) {
      expect(isProperty(other)).toBe(false);
    }
  });
});

describe('fast-check in a learner workspace', () => {
  const learnerFile = [
    "import fc from 'fast-check';",
    'export const prop: fc.IRawProperty<[number]> = fc.property(fc.integer(), (n) => n === n);',
    '',
  ].join('\n');

  test("an older workspace's tsconfig gains the mapping, keeping the learner's own settings", async () => {
    const ws = await createWorkspace(tempDir());
    const file = join(ws.root, 'tsconfig.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    const wanted = config.compilerOptions.paths['fast-check'];
    delete config.compilerOptions.paths['fast-check'];
    config.compilerOptions.noUnusedLocals = true;
    writeFileSync(file, JSON.stringify(config));
    await createWorkspace(ws.root);
    const upgraded = JSON.parse(readFileSync(file, 'utf8'));
    expect(upgraded.compilerOptions.paths['fast-check']).toEqual(wanted);
    expect(upgraded.compilerOptions.paths['learn-ds/sim']).toEqual(config.compilerOptions.paths['learn-ds/sim']);
    expect(upgraded.compilerOptions.noUnusedLocals).toBe(true);
  });

  test("verify's type check finds no error in a learner file importing fast-check", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'props.ts'), learnerFile);
    const problems = await startTypeCheck(join(dir, 'props.ts'), 'props.ts');
    expect(problems).toEqual({ problems: [], total: 0 });
  }, 60_000);
});
