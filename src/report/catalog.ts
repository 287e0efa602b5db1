/** Renders the catalog (`list`, as a table or JSON) and an exercise's heading. */
import Table from 'cli-table3';
import type { Exercise } from '../catalog/catalog.ts';
import type { Progress } from '../workspace/progress.ts';
import { PASS, style } from './style.ts';

export type Status = 'passed' | 'current' | 'started' | 'todo';

export function statusOf(progress: Progress, id: string): Status {
  const entry = progress.exercises[id];
  if (entry?.status === 'passed') return 'passed';
  if (progress.current === id) return 'current';
  return entry ? 'started' : 'todo';
}

function statusLabel(status: Status): string {
  switch (status) {
    case 'passed':
      return style.green(`${PASS} passed`);
    case 'current':
      return style.cyan('▸ current');
    case 'started':
      return style.yellow('• started');
    case 'todo':
      return style.dim('todo');
  }
}

export function renderList(exercises: readonly Exercise[], progress: Progress): string {
  const table = new Table({
    head: ['#', 'id', 'chapter', 'title', 'status'],
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const e of exercises) {
    table.push([String(e.number), e.id, `${e.chapter.number} ${e.chapter.title}`, e.title, statusLabel(statusOf(progress, e.id))]);
  }
  return table.toString();
}

/**
 * The JSON shape of `list --json` (documented in the README; fields are only ever added):
 * {"exercises": [{"number", "id", "title", "chapter": {"number", "title"}, "part", "section" (null: the chapter alone),
 * "difficulty", "status": "passed" | "current" | "started" | "todo"}]}
 */
export function listJson(exercises: readonly Exercise[], progress: Progress): string {
  const rows = exercises.map((e) => ({
    number: e.number,
    id: e.id,
    title: e.title,
    chapter: { number: e.chapter.number, title: e.chapter.title },
    part: e.part,
    section: e.section ?? null,
    difficulty: e.difficulty,
    status: statusOf(progress, e.id),
  }));
  return JSON.stringify({ exercises: rows }, null, 2);
}

/** Two short lines rather than one long one, so that it fits a narrow terminal. */
export function exerciseHeading(e: Exercise, total: number): string {
  return (
    style.bold(`Exercise ${e.number}/${total} · ${e.id}`) + style.dim(` · ${e.difficulty}`) +
    `\n${style.dim(`chapter ${e.chapter.number} "${e.chapter.title}"${e.section ? ` · ${e.section}` : ''}`)}`
  );
}
