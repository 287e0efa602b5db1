/**
 * What the CLI's bundle gives marked-terminal for `cli-highlight` (bin/learn-ds.js, esbuild's
 * alias): the real one loaded at the first code block it highlights. Loading it (highlight.js
 * with every language) was most of the cost of printing any markdown, a hint of two lines too.
 */
import { createRequire } from 'node:module';
import type { HighlightOptions } from 'cli-highlight';

const load = createRequire(import.meta.url);

export function highlight(code: string, options?: HighlightOptions): string {
  return (load('cli-highlight') as typeof import('cli-highlight')).highlight(code, options);
}
