/**
 * The CLI's bundle gives marked-terminal a cli-highlight that loads the real one at the first code
 * block (bin/learn-ds.js aliases it to src/report/lazy-highlight.ts): the same highlighting; and a
 * node-emoji loaded at its first use (lazy-emoji.ts), which learn-ds never makes.
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

test("marked-terminal's emoji codes, should they be asked for, are node-emoji's (src/report/lazy-emoji.ts)", async () => {
  const { get } = await import('../src/report/lazy-emoji.ts');
  const emoji = await import('node-emoji');
  for (const code of [':heart:', 'rocket', ':no-such-emoji:']) expect(get(code)).toBe(emoji.get(code));
});
