/** `progress`: how far the learner is, by part of the book and by chapter, as bars or as JSON. */
import type { Exercise } from '../catalog/catalog.ts';
import { PARTS } from '../catalog/chapters.ts';
import type { Progress } from '../workspace/progress.ts';
import { statusOf } from './catalog.ts';
import { style } from './style.ts';

export interface Tally {
  passed: number;
  total: number;
}

export interface ChapterTally extends Tally {
  number: number;
  title: string;
}

export interface PartTally extends Tally {
  name: string;
  chapters: ChapterTally[];
}

export interface ProgressSummary extends Tally {
  /** Parts and chapters that have exercises, in book order. */
  parts: PartTally[];
  current: { id: string; title: string; passed: boolean } | null;
}

/** Pure: counts passed exercises per part and per chapter. */
export function summarizeProgress(exercises: readonly Exercise[], progress: Progress): ProgressSummary {
  const passed = (list: readonly Exercise[]) => list.filter((e) => statusOf(progress, e.id) === 'passed').length;
  const parts: PartTally[] = [];
  for (const name of PARTS) {
    const inPart = exercises.filter((e) => e.part === name);
    if (inPart.length === 0) continue;
    const numbers = [...new Set(inPart.map((e) => e.chapter.number))].sort((a, b) => a - b);
    const chapters = numbers.map((number) => {
      const inChapter = inPart.filter((e) => e.chapter.number === number);
      return { number, title: inChapter[0]!.chapter.title, passed: passed(inChapter), total: inChapter.length };
    });
    parts.push({ name, passed: passed(inPart), total: inPart.length, chapters });
  }
  const current = exercises.find((e) => e.id === progress.current);
  return {
    passed: passed(exercises),
    total: exercises.length,
    parts,
    current: current ? { id: current.id, title: current.title, passed: statusOf(progress, current.id) === 'passed' } : null,
  };
}

function bar({ passed, total }: Tally, width: number): string {
  const filled = total === 0 ? 0 : Math.round((passed / total) * width);
  return style.green('█'.repeat(filled)) + style.dim('░'.repeat(width - filled));
}

export function renderProgress(summary: ProgressSummary): string {
  const lines = [style.bold(`Passed ${summary.passed} of ${summary.total} exercises`) + `  ${bar(summary, 20)}`, ''];
  const label = Math.max(...summary.parts.flatMap((p) => [p.name.length, ...p.chapters.map((c) => c.title.length + 6)]));
  for (const part of summary.parts) {
    lines.push(`${style.bold(part.name.padEnd(label))}  ${bar(part, 10)} ${part.passed}/${part.total}`);
    for (const c of part.chapters) {
      lines.push(style.dim(`  ${String(c.number).padStart(2)}  `) + `${c.title.padEnd(label - 6)}  ${bar(c, 10)} ${c.passed}/${c.total}`);
    }
  }
  if (summary.current) {
    lines.push('', `Current: ${summary.current.id} (${summary.current.title}), ${summary.current.passed ? 'passed' : 'in progress'}`);
  }
  return lines.join('\n');
}

/**
 * The JSON shape of `progress --json` (documented in the README; fields are only ever added):
 * {"passed", "total", "current": {"id", "title", "passed"} | null,
 *  "parts": [{"name", "passed", "total", "chapters": [{"number", "title", "passed", "total"}]}]}
 */
export function progressJson(summary: ProgressSummary): string {
  const { passed, total, current, parts } = summary;
  return JSON.stringify({ passed, total, current, parts }, null, 2);
}
