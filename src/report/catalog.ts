/** Renders the catalog (`list`, as a table or JSON) and an exercise's heading. */
import type { Exercise } from '../catalog/catalog.ts';
import type { Progress } from '../workspace/progress.ts';
import { PASS, style } from './style.ts';

export type Status = 'passed' | 'current' | 'started' | 'todo';

/**
 * Whether the learner has work for an exercise in the workspace (its file). An exercise whose
 * progress entry came only from reading hints, or from verifying a file kept elsewhere (`--file`),
 * is not "started": nothing of it is in the workspace.
 */
export type HasFile = (id: string) => boolean;

export function statusOf(progress: Progress, id: string, hasFile: HasFile = () => true): Status {
  const entry = progress.exercises[id];
  if (entry?.status === 'passed') return 'passed';
  if (progress.current === id) return 'current';
  return entry && hasFile(id) ? 'started' : 'todo';
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

/**
 * The catalog as `list` (and the menu, and watch's `l`) shows it: one line per exercise, no wider
 * than `width` (80 by default, a terminal's width when given): the title is shortened with "…"
 * when the line would be too long, never wrapped. Columns: number, id, chapter, title,
 * difficulty, status.
 */
export function renderList(exercises: readonly Exercise[], progress: Progress, width = 80, hasFile?: HasFile): string {
  const rows = exercises.map((e) => ({
    cells: [String(e.number), e.id, String(e.chapter.number), e.title, e.difficulty],
    status: statusOf(progress, e.id, hasFile),
  }));
  const head = ['#', 'id', 'ch.', 'title', 'level'];
  const STATUS = 9; // "✓ passed", "▸ current", "• started", "todo"
  const widthOf = (i: number) => Math.max(head[i]!.length, ...rows.map((r) => r.cells[i]!.length));
  const widths = [0, 1, 2, 3, 4].map(widthOf);
  // The title takes what is left of the width after the other columns and the gaps.
  const fixed = widths[0]! + widths[1]! + widths[2]! + widths[4]! + STATUS + 2 * 5;
  widths[3] = Math.max(10, Math.min(widths[3]!, Math.max(1, width - 1) - fixed));
  const fit = (text: string, w: number) => (text.length > w ? `${text.slice(0, w - 1)}…` : text.padEnd(w));
  const line = (cells: string[], status: string) =>
    `${cells[0]!.padStart(widths[0]!)}  ${cells.slice(1).map((c, i) => fit(c, widths[i + 1]!)).join('  ')}  ${status}`.trimEnd();
  return [style.bold(line(head, 'status')), ...rows.map((r) => line(r.cells, statusLabel(r.status)))].join('\n');
}

/**
 * The JSON shape of `list --json` (documented in the README; fields are only ever added):
 * {"exercises": [{"number", "id", "title", "chapter": {"number", "title"}, "part", "section" (null: the chapter alone),
 * "difficulty", "status": "passed" | "current" | "started" | "todo"}]}
 */
export function listJson(exercises: readonly Exercise[], progress: Progress, hasFile?: HasFile): string {
  const rows = exercises.map((e) => ({
    number: e.number,
    id: e.id,
    title: e.title,
    chapter: { number: e.chapter.number, title: e.chapter.title },
    part: e.part,
    section: e.section ?? null,
    difficulty: e.difficulty,
    status: statusOf(progress, e.id, hasFile),
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
