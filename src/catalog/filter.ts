/** Which exercises `list` shows: by part of the book, by chapter, only those not yet passed. Pure. */
import type { Exercise } from './catalog.ts';
import { PARTS, type Part } from './chapters.ts';

export interface ExerciseFilter {
  part?: Part;
  chapter?: number;
  /** Only exercises not yet passed. */
  todo?: boolean;
}

/**
 * The part a learner's word names: case-insensitive, a prefix is enough when only one part starts
 * with it. Otherwise the parts it could mean (none: every part).
 */
export function partNamed(input: string): { part: Part } | { candidates: readonly Part[] } {
  const word = input.trim().toLowerCase();
  const exact = PARTS.find((p) => p.toLowerCase() === word);
  if (exact) return { part: exact };
  const matches = word ? PARTS.filter((p) => p.toLowerCase().startsWith(word)) : [];
  return matches.length === 1 ? { part: matches[0]! } : { candidates: matches.length ? matches : PARTS };
}

export function filterExercises(exercises: readonly Exercise[], filter: ExerciseFilter, isPassed: (id: string) => boolean): Exercise[] {
  return exercises.filter(
    (e) =>
      (filter.part === undefined || e.part === filter.part) &&
      (filter.chapter === undefined || e.chapter.number === filter.chapter) &&
      (!filter.todo || !isPassed(e.id)),
  );
}
