/**
 * The warm verifier daemon as `verify` uses it: started by the first verify, reused by the next,
 * replaced when learn-ds's code, Node or the relevant environment changes, gone after `stop` or
 * its idle time with every process it started, and off with --no-daemon or LEARN_DS_DAEMON=0.
 * (Its verdicts equal cold ones: test/warm-verifier.test.ts.) Each test has a daemon of its own,
 * its socket in a folder of the test's (XDG_RUNTIME_DIR).
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { sourceStamps, stampsHold } from '../bin/lib/sources.js';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { exerciseFingerprint, learnDsFingerprint, learnDsSources, sourcesDigest } from '../src/verify/daemon/fingerprint.ts';
import { daemonEnabled } from '../src/verify/daemon/protocol.ts';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';

const exercise = loadCatalog().byId.get('retry-backoff')!;

/** Processes started for a daemon whose socket lives in `runtimeDir` (the daemon and its vitest children). */
function processesOf(runtimeDir: string): Array<{ pid: number; daemon: boolean }> {
  const found: Array<{ pid: number; daemon: boolean }> = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`XDG_RUNTIME_DIR=${runtimeDir}`)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push({ pid: Number(p), daemon: readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('__daemon') });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
const daemons = (dir: string) => processesOf(dir).filter((p) => p.daemon).map((p) => p.pid);
/** The daemon's warm type checker (a TypeScript helper it starts for the first check). */
const typeHelpers = (dir: string) =>
  processesOf(dir).filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('tsPath');
    } catch {
      return false;
    }
  });

function setUp(env: Record<string, string> = {}) {
  const runtimeDir = tempDir('learn-ds-daemon-');
  const base = { LEARN_DS_DAEMON: '1', XDG_RUNTIME_DIR: runtimeDir, LEARN_DS_DAEMON_IDLE_SECONDS: '60', ...env };
  // The learner's file: a correct one (a copy of the reference; the reference itself is refused).
  const file = join(tempDir(), 'mine.ts');
  copyFileSync(exercise.solutionPath, file);
  const verifyOnce = (extra: Record<string, string> = {}, args: string[] = []) =>
    learnDs(tempDir(), ['verify', exercise.id, '--file', file, '--seed', '1', ...args], { ...base, ...extra });
  return { runtimeDir, base, verifyOnce, stop: () => learnDs(tempDir(), ['stop'], base) };
}

describe.runIf(process.platform === 'linux')('the verifier daemon', () => {
  // One daemon from its start to its stop, shared by these four tests in order (each daemon's start
  // loads vitest and its warm child: one is enough to see it started, reused, checking types and stopped).
  describe('one daemon, from the first verify to stop', () => {
    const { runtimeDir, base, verifyOnce, stop } = setUp({ LEARN_DS_DEBUG: '1' });
    let pid: number | undefined;

    test('--no-daemon and LEARN_DS_DAEMON=0 verify without one; the first verify starts it, and the daemon makes the preflight: a syntax error is answered as a cold verify answers it (file:line:col, exit 1)', async () => {
      const broken = join(tempDir(), 'broken.ts');
      copyFileSync(join(repoRoot, 'test', 'fixtures', 'bad-input', 'syntax-error.ts'), broken);
      const verifyBroken = (extra: string[]) => learnDs(tempDir(), ['verify', exercise.id, '--file', broken, '--seed', '1', ...extra], base);
      const cold = await verifyBroken(['--no-daemon']);
      expect(cold.exitCode).toBe(1);
      expect(cold.stdout).toMatch(/broken\.ts:2:\d+: syntax error/);
      expect((await verifyOnce({ LEARN_DS_DAEMON: '0' })).exitCode).toBe(0);
      // Neither started one (a daemon would start before its preflight, for any file).
      expect(processesOf(runtimeDir)).toEqual([]);
      // Twice through the daemon: once started for it, once warm.
      for (const started of [true, false]) {
        const warm = await verifyBroken([]);
        expect(warm.stderr).toContain(`the verifier daemon served this run${started ? ' (started for it)' : ''}`);
        expect(warm.exitCode).toBe(1);
        expect(warm.stdout).toMatch(/broken\.ts:2:\d+: syntax error/);
        expect(warm.stdout).toBe(cold.stdout);
      }
      [pid] = daemons(runtimeDir);
      expect(pid).toBeDefined();
    }, 120_000);

    test('the next verify reuses it', async () => {
      const second = await verifyOnce();
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stdout).toContain('✓');
      expect(second.stderr).toMatch(/the verifier daemon served this run$/m);
      expect(daemons(runtimeDir)).toEqual([pid]);
      expect(processesOf(runtimeDir).length).toBeGreaterThan(1); // the daemon and its warm vitest child
    }, 120_000);

    test("after an edit, the type check is the daemon's (a warm TypeScript helper), with the cold check's errors", async () => {
      // Content no earlier check has seen (type checks are cached by content): the daemon checks it.
      const file = join(tempDir(), 'edited.ts');
      for (const edit of [1, 2]) {
        writeFileSync(file, `${readFileSync(exercise.solutionPath, 'utf8')}\nexport const n: number = 'x'; // ${edit} ${Date.now()}\n`);
        const edited = await learnDs(tempDir(), ['verify', exercise.id, '--file', file, '--seed', '1'], { ...base, LEARN_DS_TYPECHECK: '1' });
        expect(edited.exitCode, edited.stderr).toBe(0);
        expect(edited.stdout).toContain("Type 'string' is not assignable to type 'number'.");
      }
      expect(typeHelpers(runtimeDir)).toHaveLength(1);
      expect(daemons(runtimeDir)).toEqual([pid]);
    }, 120_000);

    test('stop ends it and every process it started, the type-check helper too', async () => {
      const stopped = await stop();
      expect(stopped.stdout).toContain(`Stopped the warm verifier (pid ${pid})`);
      await expect.poll(() => processesOf(runtimeDir), { timeout: 5_000 }).toEqual([]);
      expect((await stop()).stdout).toContain('No verifier was running.');
    });
  });

  test('it is replaced when what a hidden run depends on changes (here the environment: LEARN_DS_SCENARIOS)', async () => {
    const { runtimeDir, verifyOnce, stop } = setUp();
    expect((await verifyOnce()).exitCode).toBe(0);
    const [before] = daemons(runtimeDir);
    expect((await verifyOnce({ LEARN_DS_SCENARIOS: '3' })).exitCode).toBe(0);
    const after = daemons(runtimeDir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    await stop();
    await expect.poll(() => processesOf(runtimeDir), { timeout: 5_000 }).toEqual([]);
  }, 120_000);

  test("a run in flight is never cut short by another terminal's verify that replaces the daemon: both are judged", async () => {
    const { runtimeDir, base, stop } = setUp();
    // A correct file whose import takes a while (a busy second), so that its run is still going
    // when the other verify, with another environment (another daemon's), arrives.
    const slow = join(tempDir(), 'slow.ts');
    writeFileSync(slow, `const until = performance.now() + 1500;\nwhile (performance.now() < until);\n${readFileSync(exercise.solutionPath, 'utf8')}`);
    const first = learnDs(tempDir(), ['verify', exercise.id, '--file', slow, '--seed', '1'], base);
    // In flight: the daemon's warm vitest child is up (the verify process itself does not count).
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    const warmChild = () => processesOf(runtimeDir).some((p) => cmdline(p.pid).includes('warm-child'));
    await expect.poll(warmChild, { timeout: 60_000, interval: 50 }).toBe(true);
    const [before] = daemons(runtimeDir);
    const other = join(tempDir(), 'mine.ts');
    copyFileSync(exercise.solutionPath, other);
    const second = await learnDs(tempDir(), ['verify', exercise.id, '--file', other, '--seed', '1'], { ...base, LEARN_DS_SCENARIOS: '3' });
    const done = await first;
    expect(done.stdout, done.stderr).not.toContain('Interrupted');
    expect(done.exitCode, done.stdout).toBe(0);
    expect(second.exitCode, second.stdout).toBe(0);
    // The old daemon left once its run was done; the newer one serves from now on.
    await expect.poll(() => daemons(runtimeDir).includes(before!), { timeout: 10_000 }).toBe(false);
    expect(daemons(runtimeDir)).toHaveLength(1);
    await stop();
    await expect.poll(() => processesOf(runtimeDir), { timeout: 5_000 }).toEqual([]);
  }, 180_000);

  test('it exits by itself when idle, leaving no process', async () => {
    const { runtimeDir, verifyOnce } = setUp({ LEARN_DS_DAEMON_IDLE_SECONDS: '2', LEARN_DS_DEBUG: '1' });
    const run = await verifyOnce();
    expect(run.exitCode).toBe(0);
    // A daemon served the run (the client says so under LEARN_DS_DEBUG when none did). Whether it
    // is still there now is not asked: on a busy machine its 2 s may be over before we look.
    expect(run.stderr).toContain('the verifier daemon served this run');
    await expect.poll(() => processesOf(runtimeDir), { timeout: 15_000, interval: 250 }).toEqual([]);
  }, 60_000);

  test('a change to any file under src/ replaces it, one the command never loads included, and a new file too', async () => {
    // A copy of learn-ds (its dependencies linked), so that its sources can change without
    // touching this one's: the launcher checks the sources' stamps, the daemon's fingerprint is theirs.
    const root = join(tempDir('learn-ds-copy-'), 'learn-ds');
    for (const part of ['src', 'bin', 'exercises', 'solutions', 'package.json', 'package-lock.json']) cpSync(join(repoRoot, part), join(root, part), { recursive: true });
    mkdirSync(join(root, 'node_modules'));
    for (const entry of readdirSync(join(repoRoot, 'node_modules')).filter((e) => e !== '.cache')) {
      symlinkSync(join(repoRoot, 'node_modules', entry), join(root, 'node_modules', entry));
    }
    const runtimeDir = tempDir('learn-ds-daemon-');
    const env = { NO_COLOR: '1', CI: 'true', LEARN_DS_WORKSPACE: '', LEARN_DS_COMMAND: 'npx learn-ds', LEARN_DS_TYPECHECK: '0', LEARN_DS_DAEMON: '1', XDG_RUNTIME_DIR: runtimeDir, LEARN_DS_DAEMON_IDLE_SECONDS: '60' };
    const file = join(tempDir(), 'mine.ts');
    copyFileSync(exercise.solutionPath, file);
    const copied = (args: string[]) => execa(process.execPath, [join(root, 'bin', 'learn-ds.js'), ...args], { cwd: tempDir(), env, reject: false, stdin: 'ignore' });
    const verifyOnce = async () => {
      const result = await copied(['verify', exercise.id, '--file', file, '--seed', '1']);
      expect(result.exitCode, String(result.stderr)).toBe(0);
      return daemons(runtimeDir);
    };
    const first = await verifyOnce();
    expect(first).toHaveLength(1);
    expect(await verifyOnce()).toEqual(first);
    // The hidden runs' harness: in no bundle of the CLI, loaded only by the daemon's vitest child.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'src', 'verify', 'harness', 'index.ts'), later, later);
    const second = await verifyOnce();
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    // A new file (nothing imports it yet) under a folder of src/.
    writeFileSync(join(root, 'src', 'verify', 'harness', 'new-helper.ts'), 'export const helper = 1;\n');
    const third = await verifyOnce();
    expect(third).toHaveLength(1);
    expect(third).not.toEqual(second);
    await copied(['stop']);
    await expect.poll(() => processesOf(runtimeDir), { timeout: 5_000 }).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  }, 240_000);

});

describe('when the daemon is used, and what replaces it', () => {
  test('on unless turned off; off in CI unless asked for', () => {
    expect(daemonEnabled({})).toBe(true);
    expect(daemonEnabled({ LEARN_DS_DAEMON: '0' })).toBe(false);
    expect(daemonEnabled({ CI: 'true' })).toBe(false);
    expect(daemonEnabled({ CI: 'true', LEARN_DS_DAEMON: '1' })).toBe(true);
  });

  test('an exercise\'s fingerprint changes with any file of its folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.test.ts'), 'one');
    const before = exerciseFingerprint(dir);
    expect(exerciseFingerprint(dir)).toBe(before);
    writeFileSync(join(dir, 'a.test.ts'), 'two');
    utimesSync(join(dir, 'a.test.ts'), new Date(), new Date(Date.now() + 5_000));
    expect(exerciseFingerprint(dir)).not.toBe(before);
  });

  test("learn-ds's sources: any change under src/ (a file changed, added, removed, a folder added) changes their digest and fails the launcher's check", () => {
    const root = tempDir();
    mkdirSync(join(root, 'src', 'verify', 'harness'), { recursive: true });
    writeFileSync(join(root, 'src', 'verify', 'harness', 'index.ts'), 'one');
    writeFileSync(join(root, 'package.json'), '{}');
    const later = (path: string, seconds: number) => utimesSync(path, new Date(), new Date(Date.now() + seconds * 1_000));
    const seen = new Set<string>();
    let stamps = sourceStamps(root);
    const changed = (change: () => void) => {
      change();
      expect(stampsHold(root, stamps)).toBe(false);
      stamps = sourceStamps(root);
      expect(stampsHold(root, stamps)).toBe(true);
      const digest = sourcesDigest(stamps);
      expect(seen.has(digest)).toBe(false);
      seen.add(digest);
    };
    seen.add(sourcesDigest(stamps));
    expect(sourcesDigest(sourceStamps(root))).toBe(sourcesDigest(stamps));
    changed(() => {
      writeFileSync(join(root, 'src', 'verify', 'harness', 'index.ts'), 'two');
      later(join(root, 'src', 'verify', 'harness', 'index.ts'), 5);
    });
    changed(() => writeFileSync(join(root, 'src', 'verify', 'harness', 'added.ts'), 'three'));
    changed(() => rmSync(join(root, 'src', 'verify', 'harness', 'added.ts')));
    changed(() => mkdirSync(join(root, 'src', 'verify', 'empty')));
    changed(() => later(join(root, 'package.json'), 10));
    // This learn-ds's: the digest its launcher would check, walked here (no launcher started this process).
    expect(learnDsSources()).toBe(sourcesDigest(sourceStamps(repoRoot)));
  });

  test('learn-ds\'s fingerprint changes with the environment a hidden run reads, not with others', () => {
    const base = { PATH: '/usr/bin', LEARN_DS_COMMAND: 'learn-ds' };
    expect(learnDsFingerprint({ ...base, LEARN_DS_WORKSPACE: '/elsewhere', PWD: '/x' })).toBe(learnDsFingerprint(base));
    // Whether verify type-checks beside the run is the command's business, not the hidden run's.
    expect(learnDsFingerprint({ ...base, LEARN_DS_TYPECHECK: '0' })).toBe(learnDsFingerprint(base));
    expect(learnDsFingerprint({ ...base, LEARN_DS_SCENARIOS: '1000' })).not.toBe(learnDsFingerprint(base));
    expect(learnDsFingerprint({ ...base, LEARN_DS_COMMAND: 'npx learn-ds' })).not.toBe(learnDsFingerprint(base));
  });
});
