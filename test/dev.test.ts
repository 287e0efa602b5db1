/**
 * The authors' commands end to end, in a copy of the package (never in exercises/): `npm run new`
 * scaffolds an exercise that the catalog loads at once, and `npm run check` names exactly what
 * remains to write. Also: which exercises a change touches (check --changed).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, test } from 'vitest';
import { touchedExercises } from '../src/dev/changed.ts';
import { proofOptions } from '../src/dev/check.ts';
import { DEFAULT_PROOF } from '../src/dev/prove.ts';
import { repoRoot, tempDir } from './support/cli.ts';
import { hasTmux, TmuxSession } from './support/tmux.ts';

describe('check --changed', () => {
  test.each([
    [['exercises/retry-backoff/README.md', 'README.md'], ['retry-backoff']],
    [['solutions/token-bucket.ts', 'exercises/dns-cache/mutants/x.patch', 'test/cli.test.ts'], ['token-bucket', 'dns-cache']],
    [['src/cli/list.ts', 'BENCHMARKS.md'], []],
  ])('%j touches %j', (paths, ids) => {
    expect(touchedExercises(paths)).toEqual(new Set(ids));
  });

  test.each(['src/verify/harness/check.ts', 'src/sim/network.ts', 'src/dev/rules.ts', 'src/catalog/chapters.ts', 'package-lock.json', 'tsconfig.json'])(
    'a change to shared code (%s) touches every exercise',
    (path) => {
      expect(touchedExercises(['exercises/dns-cache/README.md', path])).toBe('all');
    },
  );
});

describe('npm run new, then npm run check, in a copy of the package', () => {
  let root: string;
  const tsx = (...args: string[]) => execa(join(root, 'node_modules', '.bin', 'tsx'), args, { cwd: root, reject: false, env: { NO_COLOR: '1', FORCE_COLOR: '0' }, stdin: 'ignore' });

  beforeAll(() => {
    root = tempDir('learn-ds-new-');
    for (const f of ['package.json', 'tsconfig.json', 'bin', 'src']) cpSync(join(repoRoot, f), join(root, f), { recursive: true });
    // One exercise besides the new one: the catalog is not empty, and its neighbours are not judged.
    cpSync(join(repoRoot, 'exercises', 'retry-backoff'), join(root, 'exercises', 'retry-backoff'), { recursive: true });
    mkdirSync(join(root, 'solutions'));
    cpSync(join(repoRoot, 'solutions', 'retry-backoff.ts'), join(root, 'solutions', 'retry-backoff.ts'));
    // The dependencies are the repository's; caches (bundles, Vite's) are the copy's own.
    mkdirSync(join(root, 'node_modules'));
    for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
      if (!entry.startsWith('.') || entry === '.bin') symlinkSync(join(repoRoot, 'node_modules', entry), join(root, 'node_modules', entry));
    }
  });

  test('new refuses a section the chapter does not have, naming those it has', async () => {
    const result = await tsx('src/dev/new-cli.ts', 'backoff-again', '--title', 'Backoff', '--chapter', '27', '--section', 'Retries', '--difficulty', 'easy');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('section "Retries": chapter 27 has "Timeout", "Retry", "Retry: Exponential backoff"');
    expect(existsSync(join(root, 'exercises', 'backoff-again'))).toBe(false);
  });

  test('new refuses an id that exists, and off a terminal asks for the flags it needs', async () => {
    // Both at once: neither writes anything, and each is a cold tsx start (15 s and more on a busy machine).
    const [exists, flags] = await Promise.all([
      tsx('src/dev/new-cli.ts', 'retry-backoff', '--title', 'x', '--chapter', '27', '--difficulty', 'easy'),
      tsx('src/dev/new-cli.ts', 'something'),
    ]);
    expect(exists.stderr).toContain('an exercise of that name exists');
    expect(flags.stderr).toContain('not on a terminal: give --title, --chapter, --difficulty');
  }, 2 * 60_000);

  // CI installs tmux (.ci/run); without it, only this test is skipped.
  test.skipIf(!hasTmux())(
    'on a terminal, new asks what the flags leave out: the chapter searched, the section chosen from its list',
    async () => {
      const terminal = new TmuxSession(root);
      try {
        terminal.run('node_modules/.bin/tsx src/dev/new-cli.ts budget-keeper --difficulty hard');
        await terminal.waitFor('Title');
        terminal.run('Budget keeper');
        await terminal.waitFor('Chapter of the book');
        terminal.keys('-l', 'downstream');
        await terminal.waitFor('27 Downstream resiliency');
        terminal.keys('Enter');
        await terminal.waitFor('Section it practises');
        terminal.keys('Down');
        terminal.keys('Enter');
        await terminal.waitFor('Exports the learner writes');
        terminal.run('spend, refund');
        await terminal.waitFor('npm run check -- budget-keeper', 60_000);
      } finally {
        terminal.close();
      }
      const manifest = JSON.parse(readFileSync(join(root, 'exercises', 'budget-keeper', 'exercise.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ title: 'Budget keeper', chapter: { number: 27, title: 'Downstream resiliency' }, part: 'Resiliency', section: 'Retry', difficulty: 'hard', exports: ['spend', 'refund'] });
    },
    2 * 60_000,
  );

  test(
    'a scaffolded exercise is listed at once, and check names what remains to write',
    async () => {
      const made = await tsx('src/dev/new-cli.ts', 'quota-keeper', '--title', 'Quota keeper', '--chapter', '28', '--section', 'Rate-limiting', '--difficulty', 'medium', '--exports', 'takeQuota');
      expect(made.stderr).toBe('');
      expect(made.exitCode).toBe(0);
      for (const f of ['exercise.json', 'README.md', 'starter.ts', 'tests/quota-keeper.test.ts', 'mutants/example.patch']) {
        expect(existsSync(join(root, 'exercises', 'quota-keeper', f)), f).toBe(true);
      }
      expect(existsSync(join(root, 'solutions', 'quota-keeper.ts'))).toBe(true);

      const list = await execa(process.execPath, [join(root, 'bin', 'learn-ds.js'), 'list'], { cwd: root, reject: false, env: { NO_COLOR: '1', CI: 'true' } });
      expect(list.stderr).toBe('');
      expect(list.stdout).toContain('Quota keeper');

      const check = await tsx('src/dev/check-cli.ts', 'quota-keeper');
      expect(check.exitCode, check.stderr).toBe(1);
      const broken = [...check.stdout.matchAll(/^ {2}([a-z-]+): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
      expect(broken).toEqual([
        'scaffold: exercises/quota-keeper/exercise.json still has placeholders (lines 18, 19, 20)',
        'scaffold: exercises/quota-keeper/README.md still has placeholders (lines 5, 13, 18, 22)',
        'scaffold: solutions/quota-keeper.ts still has placeholders (lines 1, 3)',
        'scaffold: exercises/quota-keeper/starter.ts still has placeholders (line 1)',
        'scaffold: exercises/quota-keeper/tests/quota-keeper.test.ts still has placeholders (line 8)',
        'scaffold: exercises/quota-keeper/mutants/example.patch still has placeholders (lines 1, 2, 6, 8)',
        'mutants: quota-keeper has 1 mutant',
        expect.stringMatching(/^reference-passes: the reference fails on seed 1: "SCAFFOLD: returns its input unchanged": .*SCAFFOLD: write the reference solution/),
        expect.stringMatching(/^reference-passes: the reference fails on seed 2/),
        expect.stringMatching(/^reference-passes: the reference fails on seed 3/),
        'mutants-fail: mutant example passes on seeds 1, 2: the suite misses "SCAFFOLD: the classic mistake this wrong solution makes, in a sentence"',
      ]);
      // Each with its fix.
      expect(check.stdout.match(/^ {4}fix: /gm)?.length).toBe(broken.length);
    },
    5 * 60_000,
  );
});

describe('the seeds of a proof', () => {
  test('by default the usual ones; --seeds N sweeps 1..N; --from S starts the sweep at S', () => {
    expect(proofOptions(undefined)).toEqual(DEFAULT_PROOF);
    expect(proofOptions(3)).toEqual({ referenceSeeds: [1, 2, 3], mutantSeeds: [1, 2, 3] });
    expect(proofOptions(3, 1000)).toEqual({ referenceSeeds: [1000, 1001, 1002], mutantSeeds: [1000, 1001, 1002] });
    // --from alone: as many seeds as a mutant's usual proof, from S.
    expect(proofOptions(undefined, 500)).toEqual({ referenceSeeds: [500, 501], mutantSeeds: [500, 501] });
  });
});
