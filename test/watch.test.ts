/**
 * `learn-ds watch` without a terminal (stdin and stdout are pipes, as in a script or an editor's
 * task runner): no keys, and it says so; each save is still verified and recorded; a signal ends it
 * cleanly, leaving no process behind. Real launcher, real warm verifier.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { chapterSlug } from '../src/catalog/chapters.ts';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';
import { descendants, isAlive } from './support/tmux.ts';

const catalog = loadCatalog();
// A settled exercise rather than the catalog's first, which changes as exercises are added.
const first = catalog.byId.get('retry-backoff')!;

describe('watch without a terminal', () => {
  test.runIf(process.platform === 'linux')('verifies on each save, records the pass, and stops on SIGINT leaving no process', async () => {
    const dir = tempDir();
    expect((await learnDs(dir, ['start', first.id])).exitCode).toBe(0);
    const file = join(dir, 'learn-ds', chapterSlug(first.chapterInfo), first.file);
    const child = execa(process.execPath, [join(repoRoot, 'bin', 'learn-ds.js'), 'watch'], {
      cwd: dir,
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', CI: 'true', LEARN_DS_WORKSPACE: '', LEARN_DS_COMMAND: 'npx learn-ds' },
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const waitFor = async (pattern: RegExp, ms = 60_000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${String(pattern)} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    await waitFor(/\d+ of \d+ checks failed\./);
    expect(out).toContain('Keys are off (stdin is not a terminal); stop with Ctrl-C.');
    expect(out).not.toContain('\x1b[2J'); // a log, not a redrawn screen
    const processes = descendants(child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(1);

    copyFileSync(first.solutionPath, file);
    await waitFor(/All \d+ checks passed\./);
    expect(out).toContain(`\`npx learn-ds solution ${first.id}\` shows the reference solution`);
    const progress = JSON.parse(readFileSync(join(dir, 'learn-ds', '.learn-ds', 'progress.json'), 'utf8'));
    expect(progress.exercises[first.id]).toMatchObject({ status: 'passed', attempts: 2 });

    // A syntax error is the preflight's verdict, as verify's (watch checks it while the run starts),
    // with the line shown; the next save is judged again.
    const before = out.length;
    copyFileSync(join(repoRoot, 'test', 'fixtures', 'bad-input', 'syntax-error.ts'), file);
    await waitFor(new RegExp(`${first.file.replace('.', '\\.')}:2:\\d+: syntax error`));
    expect(out.slice(before)).toContain('2 |   const x = (op;');
    copyFileSync(first.solutionPath, file);
    await waitFor(/All \d+ checks passed\.[\s\S]*syntax error[\s\S]*All \d+ checks passed\./);

    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain('Stopped watching.');
    for (const pid of processes) await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
  }, 120_000);

  test.runIf(process.platform === 'linux')('a watch killed outright (SIGKILL) leaves no warm verifier behind', async () => {
    const dir = tempDir();
    expect((await learnDs(dir, ['start', first.id])).exitCode).toBe(0);
    const child = execa(process.execPath, [join(repoRoot, 'bin', 'learn-ds.js'), 'watch'], {
      cwd: dir,
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1', CI: 'true', LEARN_DS_WORKSPACE: '', LEARN_DS_COMMAND: 'npx learn-ds' },
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await expect.poll(() => /checks failed/.test(out), { timeout: 60_000, interval: 50 }).toBe(true);
    const processes = descendants(child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(1);
    child.kill('SIGKILL');
    await child;
    for (const pid of processes) await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
  }, 120_000);

  test('an exercise not started yet is a usage error that says how to start it', async () => {
    const dir = tempDir();
    await learnDs(dir, ['start', first.id]);
    const other = catalog.exercises.find((e) => e.id !== first.id)!;
    const r = await learnDs(dir, ['watch', other.id]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`You have not started ${other.id} yet`);
    expect(r.stderr).toContain(`npx learn-ds start ${other.id}`);
  });
});
