/**
 * learn-ds in a real terminal (tmux): `watch` as a learner uses it — saves, rename-saves, a deleted
 * and re-created file, single keys, quitting — and the bare `learn-ds` menu. The screen is read with
 * capture-pane and polled until what is expected shows, never after a fixed sleep.
 */
import { copyFileSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { chapterSlug } from '../src/catalog/chapters.ts';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';
import { descendants, hasTmux, isAlive, TmuxSession } from './support/tmux.ts';
import { packageCopy } from './support/package-copy.ts';

const tmuxHere = hasTmux();
// Skipped only on a developer's machine without tmux; in CI, tmux is installed by .ci/run and a
// missing one fails the run.
const skip = !tmuxHere && !process.env.CI;
const title = skip ? 'in a real terminal: SKIPPED, tmux is not installed here (apt-get install tmux; CI installs it)' : 'in a real terminal (tmux)';

const catalog = loadCatalog();
// A settled exercise rather than the catalog's first, which changes as exercises are added.
const first = catalog.byId.get('retry-backoff')!;
const launcher = `${process.execPath} ${join(repoRoot, 'bin', 'learn-ds.js')}`;

/** A fresh folder where `learn-ds start` has started the exercise; returns its file. */
async function workspaceWithFirstExercise(): Promise<{ dir: string; file: string }> {
  const dir = tempDir();
  const r = await learnDs(dir, ['start', first.id]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return { dir, file: join(dir, 'learn-ds', chapterSlug(first.chapterInfo), first.file) };
}

/**
 * One package copy whose catalog is the long-verify fixture, for both tests that need it: each copy
 * builds its own launcher bundle and kit bundle on first use.
 */
let longVerifyPackage: string | undefined;
const longVerifyCopy = () => (longVerifyPackage ??= packageCopy(join(repoRoot, 'test', 'fixtures', 'long-verify')));

const passedLine = /All \d+ checks passed\./;
const failedLine = /\d+ of \d+ checks failed\./;

/** The terminal is back in cooked mode with echo (not left raw by the program that ran). */
async function terminalRestored(term: TmuxSession): Promise<void> {
  term.run(`stty -a | grep -o -- '-\\?icanon\\|-\\?echo ' | tr '\\n' ' '; echo '<stty'`);
  const screen = await term.waitFor(/(\S.*) <stty/);
  const modes = /\n([^\n]*) <stty/.exec(screen)![1]!.trim().split(/\s+/);
  expect(modes).toEqual(['icanon', 'echo']);
}

describe.skipIf(skip)(title, () => {
  let term: TmuxSession | undefined;
  beforeAll(() => {
    if (!tmuxHere) throw new Error('tmux is required here (CI): .ci/run installs it with apt-get');
  });
  afterEach(() => term?.close());

  test('watch: saves turn the verdict green, h gives a hint, rename-saves and re-created files are verified, q quits cleanly', async () => {
    const { dir, file } = await workspaceWithFirstExercise();
    term = new TmuxSession(dir);
    term.run(`${launcher} watch`);
    await term.waitFor(failedLine, 60_000);
    const shell = term.shellPid();
    // The learn-ds process and its warm verifier, to check that none is left after q.
    const processes = descendants(shell);
    expect(processes.length).toBeGreaterThanOrEqual(2);

    term.keys('h');
    await term.waitFor(`Hint 1 of ${first.hints.length}`);
    term.keys('n');
    await term.waitFor(`n moves on once ${first.id} passes`);
    term.keys('v');
    await term.waitFor(failedLine);

    // A plain save of a correct file: the verdict turns green.
    writeFileSync(file, readFileSync(first.solutionPath));
    const green = await term.waitFor(passedLine);
    expect(green).toContain('Press n for the next exercise');
    const coloured = term.screen(true).split('\n').find((l) => passedLine.test(l))!;
    expect(coloured).toMatch(/\x1b\[[0-9;]*32[;m]/);
    expect(JSON.parse(readFileSync(join(dir, 'learn-ds', '.learn-ds', 'progress.json'), 'utf8')).exercises[first.id].status).toBe('passed');
    term.keys('r');
    await term.waitFor(`Reference solution of ${first.id}`);

    // A rename-save (write a temp file, rename it over the old one, as vim does): picked up.
    writeFileSync(`${file}.swp`, readFileSync(first.starterPath));
    renameSync(`${file}.swp`, file);
    await term.waitFor(failedLine);

    // Deleted: a waiting screen, no crash; re-created: verified again.
    unlinkSync(file);
    await term.waitFor(/file deleted: \S+, waiting for it to come back/);
    copyFileSync(first.solutionPath, file);
    await term.waitFor(passedLine);

    term.keys('q');
    await term.waitFor(/Stopped watching\.\ntmux\$/);
    for (const pid of processes) await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
    await terminalRestored(term);
  }, 180_000);

  test('verify of an exercise announced as long: the announcement, a progress bar, then the verdict with the bar erased; Ctrl-C still stops it', async () => {
    // A package whose catalog is a fixture exercise with longVerify, and a daemon of this test's own.
    const root = longVerifyCopy();
    const dir = tempDir();
    copyFileSync(join(repoRoot, 'test', 'fixtures', 'long-verify', 'solutions', 'long-fixture.ts'), join(dir, 'mine.ts'));
    const env = { XDG_RUNTIME_DIR: tempDir('learn-ds-daemon-'), LEARN_DS_DAEMON: '1' };
    term = new TmuxSession(dir, env);
    const verify = `${process.execPath} ${join(root, 'bin', 'learn-ds.js')} verify long-fixture --file mine.ts`;
    try {
      term.run(verify);
      await term.waitFor('long-fixture runs a slow scenario over many seeds: its checks take about 5 s.', 60_000);
      await term.waitFor(/Checking ▕[█▉▊▋▌▍▎▏ ]{30}▏ \d+/, 60_000);
      const done = await term.waitFor(passedLine, 60_000);
      expect(done).not.toContain('Checking');
      // Again, warm this time; Ctrl-C during the run: interrupted, the line erased.
      term.run('clear');
      term.run(verify);
      await term.waitFor(/Checking ▕/, 60_000);
      term.keys('C-c');
      const stopped = await term.waitFor('Interrupted: nothing was recorded.');
      expect(stopped).not.toContain('Checking');
    } finally {
      await execa(process.execPath, [join(root, 'bin', 'learn-ds.js'), 'stop'], { env, reject: false });
    }
  }, 180_000);

  test('watch of an exercise announced as long: a progress bar beside "verifying" while it runs, gone with the verdict', async () => {
    const fixture = join(repoRoot, 'test', 'fixtures', 'long-verify');
    const root = longVerifyCopy();
    const dir = tempDir();
    const cli = (...args: string[]) => execa(process.execPath, [join(root, 'bin', 'learn-ds.js'), ...args], { cwd: dir, reject: false, stdin: 'ignore', env: { CI: 'true', LEARN_DS_WORKSPACE: '' } });
    expect((await cli('start', 'long-fixture')).exitCode).toBe(0);
    copyFileSync(join(fixture, 'solutions', 'long-fixture.ts'), join(dir, 'learn-ds', '19-data-storage', 'long-fixture.ts'));
    term = new TmuxSession(dir);
    term.run(`${process.execPath} ${join(root, 'bin', 'learn-ds.js')} watch`);
    await term.waitFor(/verifying ▕[█▉▊▋▌▍▎▏ ]{16}▏ \d+/, 60_000);
    const done = await term.waitFor(passedLine, 60_000);
    expect(done).not.toContain('▕');
    term.keys('q');
    await term.waitFor('Stopped watching.');
  }, 120_000);

  test('watch: Ctrl-C quits too, restoring the terminal and leaving no process', async () => {
    const { dir } = await workspaceWithFirstExercise();
    term = new TmuxSession(dir);
    term.run(`${launcher} watch`);
    await term.waitFor(failedLine, 60_000);
    const processes = descendants(term.shellPid());
    term.keys('C-c');
    await term.waitFor('Stopped watching.');
    for (const pid of processes) await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
    await terminalRestored(term);
  }, 120_000);

  test('on a fresh clone the menu offers "Start the first exercise" first; Esc and q quit; Esc leaves "Jump" for the menu', async () => {
    const dir = tempDir();
    term = new TmuxSession(dir);
    term.run(launcher);
    await term.waitFor(/what next\?[^\n]*\n[^\n]*Start the first exercise/);
    for (const choice of ['Jump to an exercise', 'List exercises', 'Doctor', 'Quit']) expect(term.screen()).toContain(choice);
    term.keys('Escape');
    await term.waitFor(/^tmux\$ ?$/m);
    term.run(launcher);
    await term.waitFor(/what next\?[^\n]*\n[^\n]*Start the first exercise/);
    // Jump: a list of every exercise; Esc goes back to the menu, q then quits.
    term.keys('Down', 'Enter');
    await term.waitFor(catalog.exercises[0]!.id);
    term.keys('Escape');
    await term.waitFor(/Jump to which exercise[\s\S]*learn-ds: what next\?/);
    term.keys('q');
    await term.waitFor(/^tmux\$ ?$/m);
    // And "Start the first exercise" starts it.
    term.run(launcher);
    await term.waitFor('Start the first exercise');
    term.keys('Enter');
    await term.waitFor(/Verify the current exercise/, 60_000);
    term.keys('q');
    await term.waitFor(/^tmux\$ ?$/m);
    expect(JSON.parse(readFileSync(join(dir, 'learn-ds', '.learn-ds', 'progress.json'), 'utf8')).current).toBe(catalog.exercises[0]!.id);
    await terminalRestored(term);
  }, 120_000);

  test('the menu starts on a bare `learn-ds` and its choices work', async () => {
    const { dir } = await workspaceWithFirstExercise();
    term = new TmuxSession(dir);
    term.run(launcher);
    await term.waitFor('learn-ds: what next?');
    // List exercises: the fifth choice.
    term.keys('Down', 'Down', 'Down', 'Down', 'Enter');
    await term.waitFor(catalog.exercises.at(-1)!.id);
    await term.waitFor(/what next\?[^\n]*\n[^\n]*Verify the current exercise/);
    // Hint: the third.
    term.keys('Down', 'Down', 'Enter');
    await term.waitFor(`Hint 1 of ${first.hints.length}`);
    await term.waitFor(/Hint 1 of[\s\S]*learn-ds: what next\?/);
    // Watch: the seventh; q comes back to the menu.
    term.keys('Down', 'Down', 'Down', 'Down', 'Down', 'Down', 'Enter');
    await term.waitFor(failedLine, 60_000);
    term.keys('q');
    await term.waitFor(/Stopped watching\.[\s\S]*learn-ds: what next\?/);
    // Quit: the last (Up wraps around to it).
    term.keys('Up', 'Enter');
    await term.waitFor(/Quit\ntmux\$/);
    expect(JSON.parse(readFileSync(join(dir, 'learn-ds', '.learn-ds', 'progress.json'), 'utf8')).exercises[first.id].hintsSeen).toBe(1);
    await terminalRestored(term);
  }, 120_000);
});
