/**
 * What must not go wrong whatever the learner's machine does: two commands at once, a progress
 * file cut short or from a newer learn-ds, a workspace that cannot be written, learn-ds killed in
 * the middle of a verify. Each ends with a clear message, and no work or progress is lost.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { chapterSlug } from '../src/catalog/chapters.ts';
import { lockFileOf, LockTimeoutError, withLock } from '../src/workspace/lock.ts';
import { loadProgress, updateProgress } from '../src/workspace/progress-store.ts';
import { recordAttempt } from '../src/workspace/progress.ts';
import { learnDs, processesJudging, repoRoot, tempDir } from './support/cli.ts';

const catalog = loadCatalog();
const first = catalog.exercises[0]!;
const launcher = join(repoRoot, 'bin', 'learn-ds.js');

/** A folder holding a workspace in which the first exercise is started. */
async function startedWorkspace(): Promise<{ dir: string; ws: string; progressFile: string; file: string }> {
  const dir = tempDir();
  const r = await learnDs(dir, ['next']);
  expect(r.exitCode, r.stderr).toBe(0);
  const ws = join(dir, 'learn-ds');
  return { dir, ws, progressFile: join(ws, '.learn-ds', 'progress.json'), file: join(ws, chapterSlug(first.chapterInfo), first.file) };
}

describe('two commands at once keep both their updates', () => {
  test('concurrent updates in one process: every attempt counted, the pass kept, no lock left', async () => {
    const file = join(tempDir(), 'progress.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => updateProgress(file, (p) => recordAttempt(p, 'a', i === 7))));
    expect((await loadProgress(file)).exercises.a).toMatchObject({ attempts: 20, status: 'passed' });
    expect(existsSync(lockFileOf(file))).toBe(false);
  });

  test('concurrent updates from four processes', async () => {
    const file = join(tempDir(), 'progress.json');
    const store = join(repoRoot, 'src/workspace/progress-store.ts');
    const rules = join(repoRoot, 'src/workspace/progress.ts');
    const script = `
      const { updateProgress } = await import(${JSON.stringify(store)});
      const { recordAttempt } = await import(${JSON.stringify(rules)});
      for (let i = 0; i < 10; i++) await updateProgress(${JSON.stringify(file)}, (p) => recordAttempt(p, 'a', false));
    `;
    const runs = Array.from({ length: 4 }, () =>
      execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, reject: false }),
    );
    for (const r of await Promise.all(runs)) expect(r.exitCode, String(r.stderr)).toBe(0);
    expect((await loadProgress(file)).exercises.a!.attempts).toBe(40);
  });

  test('a lock left by a process that died is broken at once; a live holder is waited for, then named', async () => {
    const file = join(tempDir(), 'progress.json');
    writeFileSync(lockFileOf(file), '999999999'); // no such process
    expect(await withLock(file, async () => 'ran')).toBe('ran');
    writeFileSync(lockFileOf(file), String(process.pid)); // alive: this process
    await expect(withLock(file, async () => 'ran', { timeoutMs: 300 })).rejects.toThrow(LockTimeoutError);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFileOf(file), old, old); // a live pid, but far too old: left over
    expect(await withLock(file, async () => 'ran')).toBe('ran');
  });

  test('two verify runs at once on one workspace: both attempts counted, the pass not lost', async () => {
    const { dir, progressFile, file } = await startedWorkspace();
    copyFileSync(first.solutionPath, file);
    const [pass, fail] = await Promise.all([
      learnDs(dir, ['verify', '--timeout', '60']),
      learnDs(dir, ['verify', first.id, '--file', first.starterPath, '--timeout', '60']),
    ]);
    expect(pass.exitCode, pass.stdout + pass.stderr).toBe(0);
    expect(fail.exitCode).toBe(1);
    expect(JSON.parse(readFileSync(progressFile, 'utf8')).exercises[first.id]).toMatchObject({ attempts: 2, status: 'passed' });
  });
});

describe('a progress file that cannot be read is reported, backed up and never overwritten', () => {
  test.each([
    ['cut short (half of a real file)', (text: string) => text.slice(0, Math.floor(text.length / 2)), /not valid JSON/, /reset --progress/],
    ['from a newer learn-ds', (text: string) => text.replace('"version": 1', '"version": 2'), /newer learn-ds \(format 2/, /Upgrade learn-ds/],
  ])('%s', async (_, spoil, reason, fix) => {
    const { dir, progressFile } = await startedWorkspace();
    const spoilt = spoil(readFileSync(progressFile, 'utf8'));
    writeFileSync(progressFile, spoilt);
    for (const args of [['verify'], ['next'], ['hint'], ['progress'], ['start', first.id]]) {
      const r = await learnDs(dir, args);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`cannot read its progress file ${progressFile}`);
      expect(r.stderr).toMatch(reason);
      expect(r.stderr).toMatch(fix);
      expect(r.stderr.split('\n').length).toBeLessThan(10);
      const backup = /A copy of it is kept at (.+)\.\n/.exec(r.stderr)![1]!;
      expect(readFileSync(backup, 'utf8')).toBe(spoilt);
    }
    expect(readFileSync(progressFile, 'utf8')).toBe(spoilt);
    if (spoilt.includes('"version": 2')) expect((await learnDs(dir, ['progress'])).stderr).not.toContain('reset --progress');
  });
});

describe('a workspace that cannot be written', () => {
  /**
   * Makes everything in `root` unwritable. File modes do not stop root, so as root the files are
   * made immutable instead (chattr +i); where that is not allowed either, the test is skipped.
   */
  function makeReadOnly(root: string): { undo: () => void } | { skip: string } {
    if (process.platform === 'win32') return { skip: 'no file modes on Windows' };
    if (process.getuid?.() !== 0) {
      spawnSync('chmod', ['-R', 'a-w', root]);
      return { undo: () => spawnSync('chmod', ['-R', 'u+w', root]) };
    }
    const r = spawnSync('chattr', ['-R', '+i', root], { encoding: 'utf8' });
    if (r.status !== 0) return { skip: `running as root, where file modes do not stop writes, and chattr +i is not allowed here (${(r.stderr || String(r.error)).trim()})` };
    return { undo: () => spawnSync('chattr', ['-R', '-i', root]) };
  }

  let setup: Awaited<ReturnType<typeof startedWorkspace>>;
  beforeAll(async () => {
    setup = await startedWorkspace();
    copyFileSync(first.solutionPath, setup.file);
  });

  test('verify still judges, and says the result could not be recorded and where; next says it cannot write where', async (ctx) => {
    const { dir, ws, progressFile, file } = setup;
    const before = readFileSync(progressFile, 'utf8');
    const readOnly = makeReadOnly(ws);
    if ('skip' in readOnly) return ctx.skip(readOnly.skip);
    try {
      const verify = await learnDs(dir, ['verify', '--timeout', '60']);
      expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/All \d+ checks passed/);
      expect(verify.stdout).not.toContain('Progress saved');
      expect(verify.stderr).toContain(`Your result was not recorded in your progress: learn-ds cannot write in ${join(ws, '.learn-ds')}`);
      const json = await learnDs(dir, ['verify', '--json', '--timeout', '60']);
      expect(JSON.parse(json.stdout).passed).toBe(true);
      expect(json.stderr).toContain('was not recorded');

      const next = await learnDs(dir, ['next']);
      expect(next.exitCode).toBe(1);
      expect(next.stderr).toMatch(new RegExp(`^learn-ds cannot write in ${ws.replace(/[/.]/g, '\\$&')}(/\\S+)? \\(`));
      expect(next.stderr).toContain('--workspace DIR');
    } finally {
      readOnly.undo();
    }
    expect(readFileSync(progressFile, 'utf8')).toBe(before);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(first.solutionPath, 'utf8'));
  });
});

describe('learn-ds killed during verify (SIGKILL: no chance to clean up)', () => {
  test.runIf(process.platform === 'linux')('the hidden suite does not outlive it, even stuck in an infinite loop', async () => {
    const dir = tempDir();
    const file = join(dir, 'spins.ts');
    copyFileSync(join(repoRoot, 'test/fixtures/bad-input/infinite-loop.ts'), file);
    const child = execa(process.execPath, [launcher, 'verify', 'retry-backoff', '--file', file, '--timeout', '60'], {
      cwd: dir,
      reject: false,
      env: { NO_COLOR: '1', CI: 'true', LEARN_DS_TYPECHECK: '0' },
    });
    for (let i = 0; i < 200 && processesJudging(file).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(processesJudging(file).length).toBeGreaterThan(0);
    // Let the suite reach the learner's loop, then kill learn-ds outright.
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGKILL');
    await child;
    let left = processesJudging(file);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = processesJudging(file);
    }
    // Should the guard fail, do not leave the loop spinning on the machine.
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });
});
