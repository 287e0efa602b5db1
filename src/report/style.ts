/** Colours and symbols for terminal output. Honours NO_COLOR and --no-color (set by main). */
import chalk from 'chalk';

export const style = chalk;

export function disableColor(): void {
  chalk.level = 0;
}

if (process.env.NO_COLOR) disableColor();

export const PASS = '✓';
export const FAIL = '✗';

/** Indents every line of a block. */
export function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');
}
