// What makes a proof cheaper without changing what it proves: the checks a mistake's `expect`
// text points to (suite-source.ts) and the order proofs start in (check.ts).
import { describe, expect, test } from 'vitest';
import { checksMentioning, isCheckTitled } from '../src/dev/suite-source.ts';
import { costliestFirst } from '../src/dev/check.ts';

const suite = `import { test } from 'vitest';

function helper() {
  throw new Error('a message no check owns: quorum lost');
}

test('reads its own writes', async () => {
  check(ok, () => \`read \${x} after writing it; expected the value written\`);
});

test("a crash loses nothing: the node's log is durable", () => {
  check(ok, () => 'an acknowledged write was lost');
});
test('one line, and its message', () => check(ok, 'TIMED OUT'));
test(\`a title with \${'interpolation'} is not a plain title\`, () => {
  check(ok, () => 'expected the value written');
});

describe('when partitioned', () => {
  test('the minority answers nothing', () => {
    check(ok, () => 'the minority answered a read');
  });
});
`;

describe('checksMentioning', () => {
  test('finds the checks whose own body has the text, case-insensitive, in any quoting', () => {
    expect(checksMentioning(suite, 'Expected The Value Written')).toEqual(['reads its own writes']);
    expect(checksMentioning(suite, 'was lost')).toEqual(["a crash loses nothing: the node's log is durable"]);
    expect(checksMentioning(suite, 'minority answered')).toEqual(['the minority answers nothing']);
  });

  test('a check on one line ends on that line', () => {
    expect(checksMentioning(suite, 'timed out')).toEqual(['one line, and its message']);
    expect(checksMentioning(suite, 'interpolation')).toEqual([]);
  });

  test('text outside every check, or in a check with a computed title, points to none', () => {
    expect(checksMentioning(suite, 'quorum lost')).toEqual([]);
    expect(checksMentioning(suite, 'nowhere at all')).toEqual([]);
  });

  test('a verdict names a nested check by its describe titles, then its own', () => {
    expect(isCheckTitled('when partitioned › the minority answers nothing', 'the minority answers nothing')).toBe(true);
    expect(isCheckTitled('the minority answers nothing', 'the minority answers nothing')).toBe(true);
    expect(isCheckTitled('not the minority answers nothing', 'the minority answers nothing')).toBe(false);
  });
});

test('costliestFirst orders by cost, highest first, ties as given', () => {
  expect(costliestFirst(['a', 'b', 'c', 'd'], (x) => ({ a: 1, b: 5, c: 1, d: 3 })[x]!)).toEqual([1, 3, 0, 2]);
});
