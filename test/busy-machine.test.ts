/**
 * Limits count the learner's CPU time, not the machine's: several verifies of a reference at once,
 * all pinned to one core beside busy loops, each get a fraction of the core and take far longer in
 * real time than their limit; they all pass, and an infinite loop under the same load is still cut
 * by its CPU limit and named. (With a wall-clock limit every one of them timed out.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { repoRoot, tempDir } from './support/cli.ts';

const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** The first core this process may run on. */
function firstCore(): string {
  const out = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }).stdout;
  return /:\s*(\d+)/.exec(out)?.[1] ?? '0';
}

const loops: ChildProcess[] = [];
afterAll(() => {
  for (const loop of loops) loop.kill('SIGKILL');
});

test.skipIf(!hasTaskset && !process.env.CI)('on one core shared with busy loops, references pass and an infinite loop is cut', async () => {
  const core = firstCore();
  const dir = tempDir();
  const reference = join(dir, 'bucket.ts');
  copyFileSync(join(repoRoot, 'solutions', 'token-bucket.ts'), reference);
  const looping = join(dir, 'looping.ts');
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'bad-input', 'infinite-loop.ts'), looping);

  // Busy loops beside the verifies, bounded in case this test dies before it stops them.
  for (let i = 0; i < 2; i++) {
    loops.push(spawn('taskset', ['-c', core, process.execPath, '-e', 'const end = Date.now() + 90_000; while (Date.now() < end);'], { stdio: 'ignore' }));
  }
  const pinned = async (args: string[]) => {
    const cli = [process.execPath, join(repoRoot, 'bin', 'learn-ds.js'), 'verify', ...args, '--json'];
    const run = await execa('taskset', ['-c', core, ...cli], { cwd: dir, reject: false, stdin: 'ignore', env: { NO_COLOR: '1', CI: 'true', LEARN_DS_TYPECHECK: '0' } });
    return { stdout: String(run.stdout), stderr: String(run.stderr), how: `exit ${run.exitCode ?? '-'}, signal ${run.signal ?? '-'}, stdout ${JSON.stringify(String(run.stdout).slice(0, 400))}` };
  };
  const started = performance.now();
  const [first, second, loop] = await Promise.all([
    pinned(['token-bucket', '--file', reference, '--timeout', '4']),
    pinned(['token-bucket', '--file', reference, '--timeout', '4']),
    pinned(['retry-backoff', '--file', looping, '--timeout', '3']),
  ]);
  const wallSeconds = (performance.now() - started) / 1000;

  for (const run of [first, second]) {
    expect(run.stderr, run.how).toBe('');
    expect(run.stdout, run.how).not.toBe('');
    expect(JSON.parse(run.stdout).passed, run.stdout).toBe(true);
  }
  expect(loop.stdout, loop.how).not.toBe('');
  const verdict = JSON.parse(loop.stdout) as { passed: boolean; checks: Array<{ passed: boolean; message: string | null }> };
  expect(verdict.passed).toBe(false);
  expect(verdict.checks.find((c) => !c.passed)?.message).toMatch(/used 3 s of CPU time while checking ".+": is there an infinite loop/);
  // The point of the test: the runs took longer in real time than their limits allowed in CPU time.
  expect(wallSeconds).toBeGreaterThan(4);
}, 120_000);
