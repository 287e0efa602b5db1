/** Renders the catalog (`list`), an exercise's heading, and progress. */
import Table from 'cli-table3';
import type { Exercise } from '../catalog/catalog.ts';
import type { Progress } from '../workspace/progress.ts';
import { PARTS } from '../catalog/chapters.ts';
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

export function exerciseHeading(e: Exercise, total: number): string {
  return style.bold(`Exercise ${e.number}/${total} · ${e.id}`) + style.dim(` · chapter ${e.chapter.number} "${e.chapter.title}" · ${e.section} · ${e.difficulty}`);
}

function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return style.green('█'.repeat(filled)) + style.dim('░'.repeat(width - filled));
}

export function renderProgress(exercises: readonly Exercise[], progress: Progress): string {
  const passed = exercises.filter((e) => statusOf(progress, e.id) === 'passed').length;
  const lines = [style.bold(`Passed ${passed} of ${exercises.length} exercises`) + `  ${bar(passed, exercises.length)}`, ''];
  for (const part of PARTS) {
    const inPart = exercises.filter((e) => e.part === part);
    if (inPart.length === 0) continue;
    const done = inPart.filter((e) => statusOf(progress, e.id) === 'passed').length;
    lines.push(`  ${part.padEnd(16)} ${bar(done, inPart.length, 10)} ${done}/${inPart.length}`);
  }
  const current = exercises.find((e) => e.id === progress.current);
  if (current) {
    lines.push('', `Current: ${current.id} (${current.title}), ${statusOf(progress, current.id) === 'passed' ? 'passed' : 'in progress'}`);
  }
  return lines.join('\n');
}
