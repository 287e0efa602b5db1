// What the learner's code prints (kept, capped, attributed to checks) and what the type checker
// says about it: both shown after the verdict, in --json as fields, never changing the verdict.
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, test } from 'vitest';
import { PrintedLog } from '../src/verify/printed.ts';
import { startTypeCheck } from '../src/verify/typecheck.ts';
import { renderPrinted, renderTypeProblems, renderVerdict, verdictJson } from '../src/report/verdict.ts';
import type { Verdict } from '../src/verify/verdict.ts';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';

const fixture = join(repoRoot, 'test', 'fixtures', 'bad-input', 'prints-and-mistypes.ts');

describe('PrintedLog', () => {
  test('keeps the first lines with their checks, cuts long lines and counts the rest', () => {
    const log = new PrintedLog(3);
    log.add('loading\n', 'stdout', undefined);
    log.add(`first\n${'x'.repeat(1000)}\nthird\nfourth\n`, 'stderr', 't1');
    log.add('a\nb', 'stdout', 't2');
    const printed = log.take((id) => (id === 't1' ? 'group › check' : undefined));
    expect(printed.lines).toEqual([
      { check: null, stream: 'stdout', text: 'loading' },
      { check: 'group › check', stream: 'stderr', text: 'first' },
      { check: 'group › check', stream: 'stderr', text: `${'x'.repeat(300)}…` },
    ]);
    expect(printed.leftOut).toBe(4);
  });

  test('megabytes cost a count, not memory', () => {
    const log = new PrintedLog(2);
    log.add('y\n'.repeat(1_000_000), 'stdout', undefined);
    expect(log.take(() => undefined).leftOut).toBe(999_998);
  });
});

describe('rendering', () => {
  const verdict: Verdict = {
    exercise: 'demo', passed: true, seed: 1, checks: [{ name: 'works', passed: true, message: null }],
    printed: { lines: [{ check: null, stream: 'stdout', text: 'hello' }, { check: 'works', stream: 'stderr', text: 'oops' }], leftOut: 7 },
  };

  test('printed lines come after the checks (the summary stays last), grouped by check, then how many more', () => {
    const text = stripVTControlCharacters(renderVerdict(verdict, { file: 'demo.ts', replay: 'r' }));
    expect(text.indexOf('Your code printed:')).toBeGreaterThan(text.indexOf('✓ works'));
    expect(text.endsWith('All 1 checks passed.')).toBe(true);
    expect(stripVTControlCharacters(renderPrinted(verdict.printed!))).toBe(
      'Your code printed:\n  while loading (outside any check):\n    │ hello\n  during "works":\n    │ oops\n  … and 7 more lines (only the first 2 are kept)',
    );
  });

  test('--json carries printed lines and type errors as fields', () => {
    const json = JSON.parse(verdictJson(verdict, { total: 1, problems: [{ file: 'demo.ts', line: 2, column: 3, message: 'bad' }] }));
    expect(json.printed).toEqual(verdict.printed);
    expect(json.typeErrors).toEqual({ total: 1, problems: [{ file: 'demo.ts', line: 2, column: 3, message: 'bad' }] });
    expect(JSON.parse(verdictJson({ ...verdict, printed: undefined } as Verdict)).printed).toEqual({ lines: [], leftOut: 0 });
  });

  test('type errors: file:line:col and the message, at most a few, then a count', () => {
    const problems = [1, 2].map((line) => ({ file: 'a.ts', line, column: 1, message: `first\nsecond ${line}` }));
    expect(stripVTControlCharacters(renderTypeProblems({ total: 9, problems }))).toBe(
      'TypeScript finds 9 type errors in your code (your editor shows the same; the checks above ran regardless):\n' +
        '  a.ts:1:1 first\n    second 1\n  a.ts:2:1 first\n    second 2\n  … and 7 more',
    );
  });
});

test('the type check finds the errors of the learner file only, at their line and column', async () => {
  const types = await startTypeCheck(fixture, 'learner.ts');
  expect(types).toEqual({ total: 1, problems: [{ file: 'learner.ts', line: 8, column: 9, message: "Type 'string' is not assignable to type 'number'." }] });
});

test('verify --json: a correct file that prints and mistypes passes, with what it printed and its type error', async () => {
  const run = await learnDs(tempDir(), ['verify', 'retry-backoff', '--file', fixture, '--json', '--seed', '1'], { LEARN_DS_TYPECHECK: '1' });
  const json = JSON.parse(run.stdout);
  expect(json.passed).toBe(true);
  expect(json.printed.lines[0]).toEqual({ check: null, stream: 'stdout', text: 'loading my retry' });
  expect(json.printed.lines[1]).toEqual({ check: 'returns the value of the first attempt that succeeds, and calls op no more', stream: 'stdout', text: expect.stringMatching(/^retry with \d+ attempts$/) });
  expect(json.printed.lines.some((l: { stream: string }) => l.stream === 'stderr')).toBe(true);
  expect(json.printed.leftOut).toBeGreaterThan(0);
  expect(json.typeErrors.problems[0]).toMatchObject({ line: 8, column: 9 });
});

test('an unchanged file is checked once: the answer is cached, and shown under the name of each request', async () => {
  const first = await startTypeCheck(fixture, 'learner.ts');
  const again = await startTypeCheck(fixture, 'again.ts');
  expect(again).toEqual({ ...first, problems: first!.problems.map((p) => ({ ...p, file: 'again.ts' })) });
});
