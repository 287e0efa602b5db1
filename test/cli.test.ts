/**
 * The CLI end to end, as a learner uses it: the real launcher in a fresh directory.
 * next → verify fails → the reference copied in → verify passes → progress saved → next moves on.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { chapterSlug } from '../src/catalog/chapters.ts';
import { learnDs, processesJudging, repoRoot, tempDir } from './support/cli.ts';

const catalog = loadCatalog();
const [first, second] = catalog.exercises;
/** The first exercise's file, relative to the folder holding the workspace. */
const firstRel = join('learn-ds', chapterSlug(first!.chapterInfo), first!.file);
const firstFile = (root: string) => join(root, firstRel);

describe('a learner\'s first session', () => {
  const dir = tempDir();
  const progressFile = join(dir, 'learn-ds', '.learn-ds', 'progress.json');
  const readProgress = () => JSON.parse(readFileSync(progressFile, 'utf8'));

  test('list works before there is a workspace', async () => {
    const r = await learnDs(dir, ['list']);
    expect(r.exitCode).toBe(0);
    for (const e of catalog.exercises) expect(r.stdout).toContain(e.id);
  });

  test('next creates the workspace, scaffolds the first exercise and prints its statement', async () => {
    const r = await learnDs(dir, ['next']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Created your workspace in learn-ds/');
    expect(r.stdout).toContain(first!.title);
    expect(r.stdout).toContain(`Your file: ${firstRel}`);
    expect(readFileSync(firstFile(dir), 'utf8')).toBe(readFileSync(first!.starterPath, 'utf8'));
    expect(existsSync(join(dir, 'learn-ds', 'tsconfig.json'))).toBe(true);
    expect(readProgress().current).toBe(first!.id);
  });

  test('verify fails on the starter, with the seed and the replay command', async () => {
    const r = await learnDs(dir, ['verify', '--timeout', '60']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/✗ /);
    expect(r.stdout).toMatch(new RegExp(`seed \\d+ · replay this exact run: npx learn-ds verify ${first!.id} --seed \\d+`));
  }, 180_000); // a run may take its whole 60 s limit on a busy machine

  test('verify --json prints the verdict as JSON', async () => {
    const r = await learnDs(dir, ['verify', '--json', '--seed', '7', '--timeout', '60']);
    expect(r.exitCode).toBe(1);
    const verdict = JSON.parse(r.stdout);
    expect(verdict).toMatchObject({ exercise: first!.id, passed: false, seed: 7 });
    for (const check of verdict.checks) expect(Object.keys(check)).toEqual(['name', 'passed', 'message']);
  }, 180_000);

  test('the solution stays locked until a pass', async () => {
    const r = await learnDs(dir, ['solution']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('unlocks once you pass it');
  });

  test('hints come one at a time and are remembered', async () => {
    const one = await learnDs(dir, ['hint']);
    expect(one.stdout).toContain(`Hint 1 of ${first!.hints.length}`);
    const two = await learnDs(dir, ['hint']);
    expect(two.stdout).toContain(`Hint 2 of ${first!.hints.length}`);
    expect(readProgress().exercises[first!.id].hintsSeen).toBe(2);
  });

  test('verify passes with the reference solution, saves progress and says what is next', async () => {
    copyFileSync(first!.solutionPath, firstFile(dir));
    const r = await learnDs(dir, ['verify', '--timeout', '60']);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/All \d+ checks passed/);
    expect(r.stdout).toContain(`Next: npx learn-ds next → ${second!.title}`);
    expect(readProgress().exercises[first!.id].status).toBe('passed');
  });

  test('the solution is then shown', async () => {
    const r = await learnDs(dir, ['solution']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(readFileSync(first!.solutionPath, 'utf8').trim().split('\n')[0]);
  });

  test('next moves on, and progress and list show the pass', async () => {
    const r = await learnDs(dir, ['next']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(second!.title);
    expect(readProgress().current).toBe(second!.id);
    expect((await learnDs(dir, ['progress'])).stdout).toContain(`Passed 1 of ${catalog.exercises.length} exercises`);
    expect((await learnDs(join(dir, 'learn-ds'), ['list'])).stdout).toMatch(new RegExp(`${first!.id}.*✓ passed`));
  });

  test('reset restores the starter and keeps the learner\'s file as a backup', async () => {
    const r = await learnDs(dir, ['reset', first!.id]);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(firstFile(dir), 'utf8')).toBe(readFileSync(first!.starterPath, 'utf8'));
    const backup = /Your version is kept at (.+)\./.exec(r.stdout)![1]!;
    expect(readFileSync(join(dir, backup), 'utf8')).toBe(readFileSync(first!.solutionPath, 'utf8'));
  });

  test('a corrupt progress file is reported with its path and backed up, never reset', async () => {
    writeFileSync(progressFile, '{"version": 1, "cur');
    const r = await learnDs(dir, ['progress']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cannot read its progress file ${progressFile}`);
    const backup = /A copy of it is kept at (.+)\.\n/.exec(r.stderr)![1]!;
    expect(readFileSync(backup, 'utf8')).toBe('{"version": 1, "cur');
    expect(readFileSync(progressFile, 'utf8')).toBe('{"version": 1, "cur');
    const fresh = await learnDs(dir, ['reset', '--progress']);
    expect(fresh.exitCode).toBe(0);
    expect((await learnDs(dir, ['progress'])).stdout).toContain('Passed 0 of');
  });
});

describe('usage errors exit with 2 and say what to do', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await learnDs(dir, ['next']);
  });

  test.each([
    [['verify', first!.id.slice(0, -1)], `Did you mean "${first!.id}"?`],
    [['show', '../etc/passwd'], 'is not an exercise id'],
    [['verify', '--seed', 'abc'], 'the seed is a whole number'],
    [['verify', '--timeout', '0'], 'the timeout is a number of seconds'],
    [['verify', first!.id, '--file', 'nope.ts'], 'nope.ts does not exist'],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('%j', async (args, message) => {
    const r = await learnDs(dir, args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('commands that need a workspace say how to start one', async () => {
    const r = await learnDs(tempDir(), ['hint']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Run `npx learn-ds next` to start one');
  });
});

describe('anywhere', () => {
  test('verify ID --file PATH judges a file from any directory, without a workspace', async () => {
    // A correct file of the learner's (the reference itself is refused: it is not their code).
    const mine = join(tempDir(), 'mine.ts');
    copyFileSync(first!.solutionPath, mine);
    const r = await learnDs(tempDir(), ['verify', first!.id, '--file', mine, '--json', '--timeout', '60']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).passed).toBe(true);
  }, 180_000);

  test('--workspace DIR puts the workspace there', async () => {
    const dir = tempDir();
    const r = await learnDs(dir, ['--workspace', 'elsewhere', 'next']);
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(dir, 'elsewhere', '.learn-ds', 'workspace.json'))).toBe(true);
  });

  test('bare learn-ds without a terminal prints the help', async () => {
    const r = await learnDs(tempDir(), []);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: learn-ds');
    expect(r.stdout).toContain('The menu needs a terminal');
  });
});

describe('Ctrl-C during verify', () => {
  test.runIf(process.platform === 'linux')('stops the run, records nothing and leaves no process behind', async () => {
    const dir = tempDir();
    const file = join(dir, 'spins.ts');
    copyFileSync(join(repoRoot, 'test/fixtures/bad-input/infinite-loop.ts'), file);
    const child = execa(process.execPath, [join(repoRoot, 'bin/learn-ds.js'), 'verify', 'retry-backoff', '--file', file, '--timeout', '60'], {
      cwd: dir,
      reject: false,
      env: { NO_COLOR: '1', CI: 'true', LEARN_DS_TYPECHECK: '0' },
    });
    // Wait until the hidden suite is running (the learner's file is being judged), then press Ctrl-C.
    for (let i = 0; i < 200 && processesJudging(file).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(processesJudging(file).length).toBeGreaterThan(0);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stdout)).toContain('Interrupted: nothing was recorded.');
    expect(processesJudging(file)).toEqual([]);
  });
});

describe('reading and finding exercises', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await learnDs(dir, ['next']);
  });

  test('show renders the statement for the terminal, naming its chapter and section; --plain prints the markdown', async () => {
    const r = await learnDs(dir, ['show']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`chapter ${first!.chapter.number} "${first!.chapter.title}" · ${first!.section}`);
    const statement = readFileSync(first!.readmePath, 'utf8');
    const chapterLine = statement.split('\n').find((l) => l.includes('Understanding Distributed Systems'))!;
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(chapterLine.replace(/\*/g, '').replace(/\s+/g, ' ').trim());
    expect(Math.max(...r.stdout.split('\n').filter((l) => !l.startsWith('  ')).map((l) => l.length))).toBeLessThanOrEqual(80);
    expect((await learnDs(dir, ['show', '--plain'])).stdout).toBe(statement.replace(/\n$/, '')); // execa drops the final newline
  });

  test('colour only when wanted: FORCE_COLOR on, then NO_COLOR or --no-color off, for every command', async () => {
    const esc = /\u001b\[/;
    expect((await learnDs(dir, ['show'], { NO_COLOR: '', FORCE_COLOR: '1' })).stdout).toMatch(esc);
    for (const args of [['show'], ['list'], ['progress'], ['hint'], ['doctor'], ['show', 'nope']]) {
      for (const [extra, env] of [[['--no-color'], { NO_COLOR: '', FORCE_COLOR: '1' }], [[], { NO_COLOR: '1', FORCE_COLOR: '1' }]] as const) {
        const r = await learnDs(dir, [...extra, ...args], env);
        expect(r.stdout + r.stderr, `${extra.join(' ')} ${args.join(' ')}`).not.toMatch(esc);
      }
    }
  }, 180_000);

  test('list filters by part (case-insensitive prefix), chapter and what is left to do; --json', async () => {
    const part = first!.part;
    const byPart = await learnDs(dir, ['list', '--part', part.slice(0, 4).toUpperCase()]);
    expect(byPart.exitCode, byPart.stderr).toBe(0);
    for (const e of catalog.exercises) expect(byPart.stdout.includes(` ${e.id} `)).toBe(e.part === part);
    const json = JSON.parse((await learnDs(dir, ['list', '--chapter', String(first!.chapter.number), '--todo', '--json'])).stdout);
    expect(json.exercises.map((e: { id: string }) => e.id)).toEqual(catalog.exercises.filter((e) => e.chapter.number === first!.chapter.number).map((e) => e.id));
    expect(json.exercises[0]).toMatchObject({ id: first!.id, status: 'current', chapter: { number: first!.chapter.number } });
    const wrong = await learnDs(dir, ['list', '--part', 'physics']);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('The parts are: Communication, Coordination, Scalability, Resiliency, Maintainability.');
    expect((await learnDs(dir, ['list', '--chapter', '99'])).exitCode).toBe(2);
  });

  test('progress --json', async () => {
    const r = await learnDs(dir, ['progress', '--json']);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ passed: 0, total: catalog.exercises.length, current: { id: first!.id, passed: false } });
    expect(json.parts.find((p: { name: string }) => p.name === first!.part).chapters[0]).toMatchObject({ number: first!.chapter.number, passed: 0 });
  });

  test('doctor: ✓ lines in a sound workspace; ✗ with a fix and exit 1 without one', async () => {
    const ok = await learnDs(dir, ['doctor']);
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/✓ Node\.js/);
    expect(ok.stdout).toMatch(/✓ Editor types/);
    const none = await learnDs(tempDir(), ['doctor']);
    expect(none.exitCode).toBe(1);
    expect(none.stdout).toMatch(/✗ Workspace: none found/);
    expect(none.stdout).toMatch(/fix: Run `npx learn-ds next`/);
  });

  test('reset --all asks first; without a terminal it says to add --yes and changes nothing', async () => {
    const file = firstFile(dir);
    writeFileSync(file, '// my work\n');
    const r = await learnDs(dir, ['reset', '--all']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('npx learn-ds reset --all --yes');
    expect(readFileSync(file, 'utf8')).toBe('// my work\n');
    expect((await learnDs(dir, ['reset', '--all', '--yes'])).exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(first!.starterPath, 'utf8'));
  });
});

describe('friendly at every step', () => {
  const dir = tempDir();
  const launcher = join(repoRoot, 'bin', 'learn-ds.js');
  beforeAll(async () => {
    expect((await learnDs(dir, ['start', first!.id])).exitCode).toBe(0);
  });

  test('list fits 80 columns (longest titles shortened with …) and shows each exercise\'s difficulty', async () => {
    const r = await learnDs(dir, ['list']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/#\s+id\s+ch\.\s+title\s+level\s+status/);
    for (const e of catalog.exercises) {
      const line = lines.find((l) => l.includes(` ${e.id} `))!;
      expect(line, e.id).toMatch(new RegExp(`^\\s*${e.number}\\s+${e.id}\\s+${e.chapter.number}\\s+.+\\s${e.difficulty}\\s`));
    }
  });

  test('output cut short by a pipe (`--help | head -1`) is no error', async () => {
    for (const args of ['--help', 'list', 'show --plain']) {
      const r = await execa('bash', ['-c', `node ${launcher} ${args} | head -1 >/dev/null; echo "exit \${PIPESTATUS[0]}"`], { cwd: dir, reject: false, env: { NO_COLOR: '1', CI: 'true', LEARN_DS_WORKSPACE: '' } });
      expect(r.stdout.trim(), args).toBe('exit 0');
      expect(r.stderr, args).toBe('');
    }
  });

  test('with --json, a usage error is JSON as well', async () => {
    for (const args of [['verify', '--json', '--seed', 'abc'], ['list', '--json', '--chapter', '99'], ['progress', '--json', '--bogus']]) {
      const r = await learnDs(dir, args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      const json = JSON.parse(r.stdout) as { error: { message: string; exitCode: number } };
      expect(json.error.exitCode).toBe(2);
      expect(json.error.message.length).toBeGreaterThan(10);
    }
    expect(JSON.parse((await learnDs(dir, ['verify', '--json', '--seed', 'abc'])).stdout).error.message).toContain('the seed is a whole number');
  });

  test('an exercise by its list number; prefixes and typos get every likely id suggested', async () => {
    const fifth = catalog.exercises[4]!;
    expect((await learnDs(dir, ['show', String(fifth.number), '--plain'])).stdout).toBe(readFileSync(fifth.readmePath, 'utf8').replace(/\n$/, ''));
    const none = await learnDs(dir, ['show', '999']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`numbered 1 to ${catalog.exercises.length}`);
    const retry = await learnDs(dir, ['show', 'retry']);
    expect(retry.exitCode).toBe(2);
    for (const e of catalog.exercises.filter((x) => x.id.startsWith('retry'))) expect(retry.stderr).toContain(`"${e.id}"`);
    expect((await learnDs(dir, ['show', 'bulkhed'])).stderr).toContain('Did you mean "bulkhead"?');
  });

  test('a file where the id goes is understood, or the right command is suggested', async () => {
    const other = join(dir, 'notes.ts');
    writeFileSync(other, 'export {};\n');
    const r = await learnDs(dir, ['verify', './notes.ts']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('"./notes.ts" is a file, not an exercise id. Name the exercise and the file: `npx learn-ds verify <id> --file ./notes.ts`');
    const named = join(dir, first!.file);
    writeFileSync(named, 'export {};\n');
    const inferred = await learnDs(dir, ['verify', `./${first!.file}`, '--json', '--timeout', '60']);
    expect(JSON.parse(inferred.stdout)).toMatchObject({ exercise: first!.id, passed: false });
  }, 180_000);

  test('a deleted exercise file: start it again, and the backups are named', async () => {
    const own = tempDir();
    expect((await learnDs(own, ['start', first!.id])).exitCode).toBe(0);
    rmSync(firstFile(own));
    const r = await learnDs(own, ['verify']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`Your file for ${first!.id} is gone`);
    expect(r.stderr).toContain(`npx learn-ds start ${first!.id}`);
    expect(r.stderr).toContain('.learn-ds/backups/');
    const never = await learnDs(own, ['verify', second!.id]);
    expect(never.stderr).toContain(`You have not started ${second!.id} yet`);
  });

  test('reset of an exercise never started says what it did', async () => {
    const r = await learnDs(dir, ['reset', second!.id]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`There was no file for ${second!.id}: its starter is now in`);
    expect(r.stdout).toContain('(nothing was replaced)');
    expect(r.stdout).toContain(`npx learn-ds start ${second!.id}`);
  });

  test('hint for an exercise other than the current one: the follow-up names that exercise', async () => {
    const other = catalog.exercises.find((e) => e.id !== first!.id && e.hints.length > 1)!;
    const r = await learnDs(dir, ['hint', other.id]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`npx learn-ds hint ${other.id}\` again`);
    expect((await learnDs(dir, ['hint'])).stdout).toMatch(/npx learn-ds hint` again|That was the last hint/);
  });

  test('verify of a folder, an empty or a binary file is a usage error like a missing file: exit 2, no run, no seed, nothing recorded', async () => {
    const scratch = tempDir();
    const empty = join(scratch, 'empty.ts');
    const binary = join(scratch, 'binary.ts');
    writeFileSync(empty, '  \n');
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    const progressFile = join(dir, 'learn-ds', '.learn-ds', 'progress.json');
    const before = readFileSync(progressFile, 'utf8');
    for (const [file, what] of [[empty, 'is empty'], [scratch, 'is not a file'], [binary, 'is a binary file']] as const) {
      const r = await learnDs(dir, ['verify', first!.id, '--file', file]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(what);
      expect(r.stdout + r.stderr).not.toMatch(/seed/);
    }
    expect(readFileSync(progressFile, 'utf8')).toBe(before);
  });

  test('a hint alone does not mark an exercise started: no file of it is in the workspace', async () => {
    const last = catalog.exercises.at(-1)!;
    expect((await learnDs(dir, ['hint', last.id])).exitCode).toBe(0);
    const progress = JSON.parse(readFileSync(join(dir, 'learn-ds', '.learn-ds', 'progress.json'), 'utf8'));
    expect(progress.exercises[last.id].hintsSeen).toBe(1);
    const listed = JSON.parse((await learnDs(dir, ['list', '--json'])).stdout) as { exercises: Array<{ id: string; status: string }> };
    expect(listed.exercises.find((e) => e.id === last.id)!.status).toBe('todo');
    expect(listed.exercises.find((e) => e.id === first!.id)!.status).not.toBe('todo');
  });

  test('hints are rendered as markdown: code blocks without their fences, prose wrapped at word boundaries to the width', async () => {
    const fenced = catalog.exercises.find((e) => e.hints.some((h) => h.includes('```')))!;
    const r = await learnDs(dir, ['hint', fenced.id, '--all']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('```');
    const code = fenced.hints.find((h) => h.includes('```'))!.split('```')[1]!.split('\n')[1]!.trim();
    expect(r.stdout).toContain(code);
    const prose = r.stdout.split('\n').filter((line) => !line.startsWith('  '));
    for (const line of prose) expect(line.length).toBeLessThanOrEqual(80);
  });
});
