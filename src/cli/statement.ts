/**
 * An exercise's statement as `show`, `next` and `start` print it: its heading (number, chapter,
 * section), then the README rendered for the terminal. The renderer is imported only here, when
 * needed: it is the slowest module to load, and `list` must start fast.
 */
import { readFile } from 'node:fs/promises';
import type { Exercise } from '../catalog/catalog.ts';
import { exerciseHeading } from '../report/catalog.ts';
import { style } from '../report/style.ts';
import { withCommand } from '../command.ts';
import { CMD, catalog } from './context.ts';

/** The statement's markdown, its commands spelled as the learner runs learn-ds. */
export async function readStatement(exercise: Exercise): Promise<string> {
  return withCommand(await readFile(exercise.readmePath, 'utf8'), CMD);
}

export async function renderedStatement(exercise: Exercise): Promise<string> {
  const [markdown, { renderMarkdown, textWidth }] = await Promise.all([readStatement(exercise), import('../report/markdown.ts')]);
  const body = renderMarkdown(markdown, { width: textWidth(process.stdout), color: style.level > 0 });
  return `${exerciseHeading(exercise, catalog().exercises.length)}\n\n${body}`;
}
