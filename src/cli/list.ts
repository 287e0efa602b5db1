/** `list`: every exercise in book order with its status; filters by part, chapter, not yet passed. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Exercise } from '../catalog/catalog.ts';
import { CHAPTERS, PARTS } from '../catalog/chapters.ts';
import { filterExercises, partNamed, type ExerciseFilter } from '../catalog/filter.ts';
import { listJson, renderList } from '../report/catalog.ts';
import { style } from '../report/style.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import { emptyProgress, isPassed } from '../workspace/progress.ts';
import { existsSync } from 'node:fs';
import { findWorkspace, learnerFile } from '../workspace/workspace.ts';
import { CMD, catalog, print, usageError, type GlobalOptions } from './context.ts';

export interface ListOptions {
  part?: string;
  chapter?: number;
  todo?: boolean;
  json?: boolean;
}

function parseChapter(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !CHAPTERS.has(n)) throw new InvalidArgumentError(`the book's chapters are numbered 1 to ${CHAPTERS.size}, e.g. --chapter 27`);
  return n;
}

function toFilter(options: ListOptions): ExerciseFilter {
  const filter: ExerciseFilter = {};
  if (options.part !== undefined) {
    const named = partNamed(options.part);
    if ('candidates' in named) {
      const which = named.candidates.length < PARTS.length ? `could be ${named.candidates.join(' or ')}` : `is not a part of the book`;
      throw usageError(`"${options.part}" ${which}. The parts are: ${PARTS.join(', ')}.`);
    }
    filter.part = named.part;
  }
  if (options.chapter !== undefined) filter.chapter = options.chapter;
  if (options.todo) filter.todo = true;
  return filter;
}

/** Why a filtered list is empty, said in a way that points somewhere useful. */
function emptyReason(filter: ExerciseFilter, all: readonly Exercise[]): string {
  if (filter.chapter !== undefined && !all.some((e) => e.chapter.number === filter.chapter)) {
    const withExercises = [...new Set(all.map((e) => e.chapter.number))].join(', ');
    return `No exercise for chapter ${filter.chapter} "${CHAPTERS.get(filter.chapter)!.title}" yet. Chapters with exercises: ${withExercises}.`;
  }
  if (filter.todo) return style.green('Nothing left to do here: you have passed every exercise that matches.');
  return 'No exercise matches.';
}

export async function runList(globals: GlobalOptions, options: ListOptions = {}): Promise<void> {
  const filter = toFilter(options);
  const ws = findWorkspace(process.cwd(), globals.workspace);
  const progress = ws ? await loadProgress(ws.progressFile) : emptyProgress();
  const all = catalog().exercises;
  const shown = filterExercises(all, filter, (id) => isPassed(progress, id));
  const byId = new Map(all.map((e) => [e.id, e]));
  const hasFile = (id: string) => ws !== undefined && byId.has(id) && existsSync(learnerFile(ws, byId.get(id)!));
  if (options.json) print(listJson(shown, progress, hasFile));
  else print(shown.length > 0 ? renderList(shown, progress, process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80, hasFile) : emptyReason(filter, all));
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('list')
    .description('list the exercises in book order: number, id, chapter, title and your status')
    .option('-p, --part <name>', `only one part of the book (${PARTS.join(', ')}; case-insensitive, a prefix is enough)`)
    .option('-c, --chapter <n>', 'only one chapter, by number', parseChapter)
    .option('-t, --todo', 'only the exercises you have not passed yet')
    .option('--json', 'print JSON: {"exercises": [{"number", "id", "title", "chapter": {"number", "title"}, "part", "section", "difficulty", "status"}]}')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} list\n  $ ${CMD} list --part resiliency --todo\n  $ ${CMD} list --chapter 27 --json`)
    .action((options: ListOptions) => runList(globals(), options));
}
