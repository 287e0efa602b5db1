// CPU-time limits (src/verify/cpu-limit.ts) and how their verdicts read, on real processes where it matters.
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { RunLimit, backstopMs, limitsFor, parseStat, testTimeoutMs, type LimitHit } from '../src/verify/cpu-limit.ts';
import { judge } from '../src/verify/verdict.ts';
import { timeoutMsOf } from '../src/verify/verify.ts';

describe('limits', () => {
  test('the CPU limit is the timeout; the wall-clock backstop and vitest per-test limits are far above it', () => {
    expect(limitsFor(10_000, true)).toEqual({ cpuMs: 10_000, wallMs: 70_000 });
    expect(backstopMs(20_000)).toBe(120_000);
    expect(testTimeoutMs(10_000, true)).toBe(35_000);
    // Without /proc: wall clock, as before.
    expect(limitsFor(10_000, false)).toEqual({ cpuMs: Infinity, wallMs: 10_000 });
  });

  test('/proc/<pid>/stat is read after the command name, whatever it holds', () => {
    const line = '4242 (node (a) b) R 1 4240 4240 0 -1 4194304 98 0 0 0 150 30 7 3 20 0 1 0 40699 3133440 406';
    expect(parseStat(line)).toEqual({ pgrp: 4240, ticks: 190 });
  });

  test('LEARN_DS_SCENARIOS stretches the default limit in proportion, never --timeout', () => {
    const before = process.env.LEARN_DS_SCENARIOS;
    try {
      process.env.LEARN_DS_SCENARIOS = '1000';
      expect(timeoutMsOf({}, { timeoutSeconds: 10 })).toBe(100_000);
      expect(timeoutMsOf({ timeoutSeconds: 5 }, { timeoutSeconds: 10 })).toBe(5_000);
      process.env.LEARN_DS_SCENARIOS = '50';
      expect(timeoutMsOf({}, { timeoutSeconds: 10 })).toBe(10_000);
    } finally {
      if (before === undefined) delete process.env.LEARN_DS_SCENARIOS;
      else process.env.LEARN_DS_SCENARIOS = before;
    }
  });
});

/** Runs `script` in its own process group under a RunLimit and says what ended it. */
function limitOf(script: string, limits: { cpuMs: number; wallMs: number }): Promise<LimitHit> {
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
  return new Promise((resolve) => {
    const limit = new RunLimit(limits, (hit) => {
      process.kill(-child.pid!, 'SIGKILL');
      resolve(hit);
    }, 50);
    limit.follow(child.pid);
  });
}

describe.skipIf(process.platform !== 'linux')('RunLimit on real processes', () => {
  test('a busy loop (in a second process of the group too) is cut by CPU time', async () => {
    const spin = 'while (true);';
    const hit = await limitOf(`require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(spin)}], { stdio: 'ignore' }); ${spin}`, { cpuMs: 600, wallMs: 20_000 });
    expect(hit.by).toBe('cpu');
    expect(hit.cpuMs).toBeGreaterThanOrEqual(600);
  });

  test('a process that only waits is ended by the backstop, having used little CPU; its wait for cores is measured', async () => {
    const hit = await limitOf('setTimeout(() => {}, 60_000);', { cpuMs: 5_000, wallMs: 1_000 });
    expect(hit.by).toBe('wall');
    expect(hit.cpuMs).toBeLessThan(1_000);
    // How long it waited for a core depends on the machine's load (schedstat; absent on some kernels).
    if (hit.waitingMs !== undefined) expect(hit.waitingMs).toBeLessThan(hit.wallMs);
  });
});

describe('timeout verdicts', () => {
  const base = { exercise: 'demo', shownFile: 'demo.ts', subjectFile: '/ws/demo.ts', exports: ['demo'], seed: 1, timeoutMs: 10_000, preflight: null };
  const timedOut = (limit: LimitHit) =>
    judge({ ...base, outcome: { report: null, exitCode: undefined, signal: 'SIGKILL', timedOut: true, limit, interrupted: false, outputTail: '', runningTest: 'a › b' } }).checks[0]!;

  test('the CPU limit blames a loop in the code, naming the check', () => {
    expect(timedOut({ by: 'cpu', cpuMs: 10_050, wallMs: 41_000 }).message).toBe(
      'used 10 s of CPU time while checking "a › b": is there an infinite loop, or a wait that never ends?',
    );
  });

  test('the backstop on a machine too busy to run the checks says so, and how to allow more time', () => {
    const check = timedOut({ by: 'wall', cpuMs: 2_100, wallMs: 70_000, waitingMs: 50_000 });
    expect(check.passed).toBe(false);
    expect(check.message).toMatch(/^the machine is busy: in 70 s the checks got only 2\.1 s of CPU time while checking "a › b"/);
    expect(check.message).toContain('--timeout 30');
    expect(check.message).not.toMatch(/infinite loop/);
  });

  test('the backstop on code that waits for nothing asks what it waits for', () => {
    expect(timedOut({ by: 'wall', cpuMs: 900, wallMs: 70_000, waitingMs: 20 }).message).toMatch(/waiting for something that never comes/);
  });
});
