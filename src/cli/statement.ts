/**
 * An exercise's statement as `show`, `next` and `start` print it: its heading (number, chapter,
 * section), then the README rendered for the terminal (rendered-markdown.ts: the renderer is the
 * slowest module to load, and is loaded only when a rendering is not kept).
 */
import { readFile } from 'node:fs/promises';
import type { Exercise } from '../catalog/catalog.ts';
import { exerciseHeading } from '../report/catalog.ts';
import { renderedMarkdown, stdoutTarget } from '../report/rendered-markdown.ts';
import { hintMarkdown } from './hint.ts';
import { withCommand } from '../command.ts';
import { CMD, catalog } from './context.ts';

/** The statement's markdown, its commands spelled as the learner runs learn-ds. */
export async function readStatement(exercise: Exercise): Promise<string> {
  return withCommand(await readFile(exercise.readmePath, 'utf8'), CMD);
}

export async function renderedStatement(exercise: Exercise): Promise<string> {
  // The hints rendered and kept too, at this width: the first `hint` then reads its rendering.
  const body = await renderedMarkdown(await readStatement(exercise), stdoutTarget(), exercise.hints.map(hintMarkdown));
  return `${exerciseHeading(exercise, catalog().exercises.length)}\n\n${body}`;
}
