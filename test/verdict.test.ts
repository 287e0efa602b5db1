// The verdict rules, without running anything: a pass needs positive evidence.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, test } from 'vitest';
import { judge, learnerFrame, type JudgeInput } from '../src/verify/verdict.ts';
import { renderVerdict } from '../src/report/verdict.ts';
import type { RawReport, RawTest } from '../src/verify/protocol.ts';
import type { SuiteOutcome } from '../src/verify/run-suite.ts';

const base: Omit<JudgeInput, 'outcome' | 'preflight'> = {
  exercise: 'demo',
  shownFile: 'demo.ts',
  subjectFile: '/ws/08-time/demo.ts',
  exports: ['demo'],
  seed: 42,
  timeoutMs: 20_000,
};

const passing: RawTest = { name: 'works', path: [], state: 'passed', errors: [], durationMs: 1 };

function report(over: Partial<RawReport> = {}): RawReport {
  return { version: 1, complete: true, tests: [passing], moduleErrors: [], unhandledErrors: [], ...over };
}

function outcome(over: Partial<SuiteOutcome> = {}): SuiteOutcome {
  return { report: report(), exitCode: 0, signal: undefined, timedOut: false, interrupted: false, outputTail: '', runningTest: undefined, ...over };
}

const run = (o: Partial<SuiteOutcome>) => judge({ ...base, preflight: null, outcome: outcome(o) });

describe('judge', () => {
  test('passes only with a complete report, every check passed and a clean exit', () => {
    const verdict = run({});
    expect(verdict.passed).toBe(true);
    expect(verdict.checks.map((c) => c.name)).toEqual(['your file loads and exports `demo`', 'works']);
  });

  test('a run without a report fails, even with exit code 0 (process.exit(0) before the end)', () => {
    const verdict = run({ report: null, exitCode: 0 });
    expect(verdict.passed).toBe(false);
    expect(verdict.checks[0]!.message).toMatch(/before the tests finished/);
  });

  test('a run without a report that printed vitest\'s process.exit error names process.exit', () => {
    const verdict = run({ report: null, exitCode: 1, outputTail: 'Error: process.exit unexpectedly called with "3"' });
    expect(verdict.checks[0]!.message).toBe('your code called process.exit(3) and ended the test run');
  });

  test('a suite where no test ran is a failure, not a vacuous pass', () => {
    expect(run({ report: report({ tests: [] }) }).passed).toBe(false);
  });

  test('a non-zero exit fails even when every check passed', () => {
    const verdict = run({ exitCode: 1 });
    expect(verdict.passed).toBe(false);
    expect(verdict.checks.at(-1)!.message).toMatch(/exited with code 1/);
  });

  test('skipped or unfinished tests are failures', () => {
    const skipped: RawTest = { ...passing, name: 'skipped one', state: 'skipped' };
    expect(run({ report: report({ tests: [passing, skipped] }) }).passed).toBe(false);
  });

  test('unhandled errors add a failing check', () => {
    const verdict = run({ report: report({ unhandledErrors: [{ name: 'Error', message: 'lost' }] }) });
    expect(verdict.passed).toBe(false);
    expect(verdict.checks.at(-1)).toMatchObject({ name: 'no unhandled errors or rejections', passed: false });
  });

  test('a timeout names the check that was running', () => {
    const verdict = run({ report: null, timedOut: true, runningTest: 'retries › waits' });
    expect(verdict.checks[0]!.message).toBe('timed out after 20 s while checking "retries › waits": is there an infinite loop, or a wait that never ends?');
  });

  test('an interrupted run is marked so that it is never recorded', () => {
    expect(run({ report: null, interrupted: true }).interrupted).toBe(true);
  });

  test('an error thrown by learner code says where in their file', () => {
    const error = { name: 'TypeError', message: "Cannot read properties of undefined (reading 'x')", stack: 'TypeError: ...\n    at retry (/ws/08-time/demo.ts:12:7)\n    at test.ts:3:1' };
    const failing: RawTest = { ...passing, state: 'failed', errors: [error] };
    const verdict = run({ report: report({ tests: [failing] }) });
    expect(verdict.checks[1]!.message).toBe("TypeError: Cannot read properties of undefined (reading 'x') (at demo.ts:12:7)");
  });

  test('a learner message is shown as written, with its detail', () => {
    const failing: RawTest = { ...passing, state: 'failed', errors: [{ name: 'LearnerFailure', message: 'expected 3', detail: 'timeline' }] };
    expect(run({ report: report({ tests: [failing] }) }).checks[1]).toMatchObject({ message: 'expected 3', detail: 'timeline' });
  });

  test('a preflight problem is the only check', () => {
    const verdict = judge({ ...base, preflight: { kind: 'syntax', message: 'demo.ts:2:5: syntax error: Unexpected', line: 2, column: 5, lineText: 'let (' } });
    expect(verdict.checks).toEqual([
      { name: 'your file loads and exports `demo`', passed: false, message: 'demo.ts:2:5: syntax error: Unexpected', detail: '  2 | let (\n    |     ^' },
    ]);
  });
});

describe('learnerFrame', () => {
  test('finds the first frame in the learner file, as file:line:col', () => {
    expect(learnerFrame('Error\n  at x (/lib/a.ts:1:1)\n  at y (file:///ws/b.ts:3:9)', '/ws/b.ts', 'b.ts')).toBe('b.ts:3:9');
    expect(learnerFrame('Error\n  at x (/lib/a.ts:1:1)', '/ws/b.ts', 'b.ts')).toBeUndefined();
  });
});

describe('renderVerdict', () => {
  test('shows a repeated failure once and only the first detail in full', () => {
    const text = renderVerdict(
      {
        exercise: 'x',
        passed: false,
        seed: 7,
        checks: [
          { name: 'loads', passed: true, message: null },
          { name: 'first', passed: false, message: 'rule broken: two leaders in term 3', detail: 'TIMELINE-1' },
          { name: 'second', passed: false, message: 'rule broken: two leaders in term 3', detail: 'TIMELINE-1' },
          { name: 'third', passed: false, message: 'no leader within 3 s', detail: 'TIMELINE-2' },
        ],
      },
      { file: 'x.ts', replay: 'npx learn-ds verify x --seed 7' },
    );
    expect(stripVTControlCharacters(text).split('\n')).toEqual([
      'Verifying x (x.ts)',
      '',
      '  ✓ loads',
      '  ✗ first',
      '      rule broken: two leaders in term 3',
      '      TIMELINE-1',
      '  ✗ second',
      '      (the same failure as above)',
      '  ✗ third',
      '      no leader within 3 s',
      '      (details left out: fix the first failure first, or see them all with --json)',
      '',
      '3 of 4 checks failed.',
      'seed 7 · replay this exact run: npx learn-ds verify x --seed 7',
    ]);
  });
});

describe('renderVerdict at a terminal width', () => {
  test('wraps names and messages at word boundaries, aligned under their first line; leaves details alone', () => {
    const detail = `timeline ${'─'.repeat(60)}`;
    const text = renderVerdict(
      {
        exercise: 'x',
        passed: false,
        seed: 1,
        checks: [{ name: 'a check whose name is rather long for a narrow terminal', passed: false, message: 'what was expected and what the code did instead', detail }],
      },
      { file: 'x.ts', replay: 'r', width: 40 },
    );
    const lines = stripVTControlCharacters(text).split('\n');
    expect(lines.slice(2, 9)).toEqual([
      '  ✗ a check whose name is rather long',
      '    for a narrow terminal',
      '      what was expected and what the',
      '      code did instead',
      `      ${detail}`,
      '',
      '1 of 1 checks failed.',
    ]);
  });
});
