/**
 * verify's progress: the pure parts (how far a run is, the bar, the announcement of a long
 * exercise), the status line that draws them, and progress reaching the caller from the vitest
 * child in each of the three paths (a cold run, the warm runner of watch, the daemon of verify),
 * with a fixture exercise whose checks wait in real time (test/fixtures/long-verify).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { spinner } from '../src/cli/spinner.ts';
import { bar, checksLabel, longVerifyNotice, progressLine } from '../src/report/progress-bar.ts';
import { daemonRunner, stopDaemon } from '../src/verify/daemon/client.ts';
import { progressFraction, totalKnown, type RunProgress } from '../src/verify/progress.ts';
import { runSuite, type SuiteOutcome, type SuiteRequest } from '../src/verify/run-suite.ts';
import { WarmSuiteRunner } from '../src/verify/warm/warm-runner.ts';
import { repoRoot, tempDir } from './support/cli.ts';
import { packageCopy } from './support/package-copy.ts';

const start: RunProgress = { files: 2, filesDone: 0, checks: 0, checksDone: 0 };

describe('how far a run is', () => {
  test('files count in equal parts, a file\'s checks in equal parts, a check by its seeds', () => {
    expect(progressFraction(start)).toBe(0);
    expect(progressFraction({ ...start, checks: 4, file: { checks: 4, done: 1 } })).toBe(0.125);
    expect(progressFraction({ ...start, checks: 4, checksDone: 1, file: { checks: 4, done: 1 }, seeds: { done: 50, of: 100 } })).toBeCloseTo(0.1875);
    expect(progressFraction({ files: 2, filesDone: 1, checks: 4, checksDone: 4 })).toBe(0.5);
    expect(progressFraction({ files: 2, filesDone: 2, checks: 6, checksDone: 6 })).toBe(1);
  });

  test('seeds of a check already counted as finished add nothing; nothing goes past 1 or below 0', () => {
    expect(progressFraction({ files: 1, filesDone: 0, checks: 2, checksDone: 2, file: { checks: 2, done: 2 }, seeds: { done: 10, of: 10 } })).toBe(1);
    expect(progressFraction({ files: 0, filesDone: 0, checks: 0, checksDone: 0 })).toBe(0);
    expect(progressFraction({ files: 1, filesDone: 0, checks: 1, checksDone: 0, file: { checks: 1, done: 0 }, seeds: { done: 20, of: 10 } })).toBe(1);
  });

  test('the total of checks is known once every file has started', () => {
    expect(totalKnown({ ...start, checks: 3, file: { checks: 3, done: 0 } })).toBe(false);
    expect(totalKnown({ files: 2, filesDone: 1, checks: 5, checksDone: 3, file: { checks: 2, done: 0 } })).toBe(true);
    expect(checksLabel({ files: 2, filesDone: 1, checks: 5, checksDone: 3, file: { checks: 2, done: 0 } })).toBe('3/5 checks');
    expect(checksLabel({ ...start, checks: 3, checksDone: 1, file: { checks: 3, done: 1 } })).toBe('1 check done · file 1 of 2');
    expect(checksLabel({ files: 3, filesDone: 1, checks: 3, checksDone: 3 })).toBe('3 checks done · file 2 of 3');
  });
});

describe('the bar and the announcement', () => {
  test('a bar fills in eighths of a cell and is always as wide as asked', () => {
    expect(bar(0, 4)).toBe('    ');
    expect(bar(0.5, 4)).toBe('██  ');
    expect(bar(1 / 32, 4)).toBe('▏   ');
    expect(bar(0.99, 4)).toBe('████');
    expect(bar(1.5, 4)).toBe('████');
    for (let f = 0; f <= 1; f += 0.01) expect([...bar(f, 20)]).toHaveLength(20);
  });

  test('the progress line fits the terminal, and says the checks done and the seconds', () => {
    const progress: RunProgress = { files: 1, filesDone: 0, checks: 30, checksDone: 12, file: { checks: 30, done: 12 } };
    const wide = progressLine({ frame: '⠋', fraction: 0.4, progress, elapsedMs: 6_400, columns: 120 });
    expect(wide).toBe(`⠋ Checking ▕${bar(0.4, 30)}▏ 12/30 checks · 6 s`);
    for (const columns of [80, 50, 40, 30, 20, 10]) {
      const line = progressLine({ frame: '⠋', fraction: 0.4, progress, elapsedMs: 6_400, columns });
      expect([...line].length).toBeLessThan(columns);
    }
    expect(progressLine({ frame: '⠋', fraction: 0.4, progress, elapsedMs: 6_400, columns: 36 })).toBe('⠋ 40% 12/30 checks · 6 s');
  });

  test('a long exercise is announced in one line', () => {
    expect(longVerifyNotice('kv-store', { seconds: 15, what: 'runs a 9-node cluster under faults' })).toBe('kv-store runs a 9-node cluster under faults: its checks take about 15 s.');
    expect(longVerifyNotice('kv-store', { seconds: 15, what: 'runs a 9-node cluster under faults.' })).toBe('kv-store runs a 9-node cluster under faults: its checks take about 15 s.');
  });
});

/** A stream that records what is written, as a terminal of `columns`. */
function fakeTerminal(columns = 80) {
  const written: string[] = [];
  const stream = { isTTY: true, columns, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('the status line', () => {
  test('the bar replaces the spinner once progress is known, never goes back, and stop() erases the line', async () => {
    const { stream, written } = fakeTerminal();
    const line = spinner({ stream, enabled: true, barAfterMs: 0 });
    line.show('Starting the verifier…');
    expect(written.at(-1)).toMatch(/^\r\x1b\[2K. Starting the verifier…$/);
    line.progress({ files: 1, filesDone: 0, checks: 4, checksDone: 2, file: { checks: 4, done: 2 } });
    // A check with two scenarios restarts its seeds: what is shown stays where it was.
    line.progress({ files: 1, filesDone: 0, checks: 4, checksDone: 1, file: { checks: 4, done: 1 } });
    await expect.poll(() => written.at(-1)).toContain('Checking ▕');
    expect(written.at(-1)).toContain(bar(0.5, 30));
    expect(written.at(-1)).toContain('1/4 checks');
    line.stop();
    expect(written.at(-1)).toBe('\r\x1b[2K');
    const count = written.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(written).toHaveLength(count);
  });

  test('a short run keeps its spinner: the bar waits for barAfterMs', async () => {
    const { stream, written } = fakeTerminal();
    const line = spinner({ stream, enabled: true, barAfterMs: 60_000 });
    line.show('Running the hidden tests…');
    line.progress({ files: 1, filesDone: 0, checks: 4, checksDone: 2, file: { checks: 4, done: 2 } });
    await new Promise((r) => setTimeout(r, 200));
    expect(written.join('')).not.toContain('Checking');
    line.stop();
  });

  test('off a terminal: nothing at all is written', async () => {
    const { stream, written } = fakeTerminal();
    const line = spinner({ stream, enabled: false, barAfterMs: 0 });
    line.show('Running the hidden tests…');
    line.progress({ files: 1, filesDone: 0, checks: 4, checksDone: 2 });
    await new Promise((r) => setTimeout(r, 200));
    line.stop();
    expect(written).toEqual([]);
  });
});

// The fixture: two files; one has a check of 24 seeds of 60 ms each, then a quick check; the other two checks of 300 ms.
const fixture = join(repoRoot, 'test', 'fixtures', 'long-verify');
const exerciseDir = join(fixture, 'exercises', 'long-fixture');

function request(onProgress: (p: RunProgress) => void): SuiteRequest {
  // The learner's file: a copy of the fixture's reference, outside learn-ds's own folders.
  const subjectFile = join(tempDir(), 'long-fixture.ts');
  copyFileSync(join(fixture, 'solutions', 'long-fixture.ts'), subjectFile);
  return { exerciseDir, subjectFile, exports: ['double'], seed: 1, timeoutMs: 30_000, onProgress };
}

/** What a path reported: every check passed, the progress seen moved within the long check and across files. */
function expectProgressed(outcome: SuiteOutcome, seen: RunProgress[]): void {
  expect(outcome.report?.tests.map((t) => t.state)).toEqual(['passed', 'passed', 'passed', 'passed']);
  expect(seen[0]).toMatchObject({ files: 2 });
  expect(seen.some((p) => p.seeds && p.seeds.done > 0 && p.seeds.done < p.seeds.of), 'seeds within the long check').toBe(true);
  expect(seen.some((p) => p.filesDone === 1 && p.checks === 4 && totalKnown(p)), 'the second file counted').toBe(true);
}

describe.runIf(process.platform === 'linux')('progress reaches the caller from the vitest child', () => {
  test('in a cold run', async () => {
    const seen: RunProgress[] = [];
    expectProgressed(await runSuite(request((p) => seen.push(p))), seen);
  });

  test("through the warm runner (watch's)", async () => {
    const runner = new WarmSuiteRunner();
    try {
      const seen: RunProgress[] = [];
      expectProgressed(await runner.run(request((p) => seen.push(p))), seen);
    } finally {
      runner.close();
    }
  });

  describe("through the daemon (verify's)", () => {
    // A daemon of this test's own (its socket in a folder of ours), gone when the test ends.
    const saved = { dir: process.env.XDG_RUNTIME_DIR, daemon: process.env.LEARN_DS_DAEMON };
    afterAll(async () => {
      await stopDaemon();
      if (saved.dir === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved.dir;
      process.env.LEARN_DS_DAEMON = saved.daemon;
    });

    test('as messages over its socket', async () => {
      process.env.XDG_RUNTIME_DIR = tempDir('learn-ds-daemon-');
      process.env.LEARN_DS_DAEMON = '1';
      const run = daemonRunner({ fallback: () => Promise.reject(new Error('the daemon did not answer: a cold fallback would hide it')) });
      const seen: RunProgress[] = [];
      expectProgressed(await run(request((p) => seen.push(p))), seen);
    }, 90_000);
  });
});

describe.runIf(process.platform === 'linux')('verify of an exercise announced as long, off a terminal', () => {
  test('the announcement is one plain line before the verdict, with no escape codes and no bar; --json prints JSON alone', async () => {
    const root = packageCopy(fixture);
    const dir = tempDir();
    copyFileSync(join(fixture, 'solutions', 'long-fixture.ts'), join(dir, 'mine.ts'));
    const cli = (...args: string[]) =>
      execa(process.execPath, [join(root, 'bin', 'learn-ds.js'), 'verify', 'long-fixture', '--file', 'mine.ts', ...args], {
        // No type check beside the run: not what this test looks at.
        cwd: dir, reject: false, stdin: 'ignore', env: { CI: 'true', LEARN_DS_WORKSPACE: '', FORCE_COLOR: '0', LEARN_DS_TYPECHECK: '0' },
      });
    const plain = await cli();
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout.split('\n')[0]).toBe('long-fixture runs a slow scenario over many seeds: its checks take about 5 s.');
    expect(plain.stdout + plain.stderr).not.toMatch(/\x1b|Checking/);
    const json = await cli('--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ exercise: 'long-fixture', passed: true });
    expect(json.stderr).toBe('');
  }, 120_000);
});
