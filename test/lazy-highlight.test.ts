/**
 * The CLI's bundle gives marked-terminal a cli-highlight that loads the real one at the first code
 * block (bin/learn-ds.js aliases it to src/report/lazy-highlight.ts): the same highlighting.
 */
import { highlight as real } from 'cli-highlight';
import { expect, test } from 'vitest';
import { highlight } from '../src/report/lazy-highlight.ts';

test('highlights code exactly as cli-highlight does', () => {
  const code = "export function retry(op: () => Promise<number>, attempts = 3): Promise<number> {\n  return op(); // 'try'\n}";
  for (const options of [{ language: 'typescript' }, { language: 'json' }, undefined]) {
    expect(highlight(code, options)).toBe(real(code, options));
  }
});
