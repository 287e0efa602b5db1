/** Which exercises `list` shows: by part of the book, by chapter, only those not yet passed. Pure. */
import leven from 'leven';
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
 * with it. Otherwise the parts it could mean: those it starts, or else those it misspells (two
 * letters off at most; "resilency"), or else every part.
 */
export function partNamed(input: string): { part: Part } | { candidates: readonly Part[] } {
  const word = input.trim().toLowerCase();
  const exact = PARTS.find((p) => p.toLowerCase() === word);
  if (exact) return { part: exact };
  const matches = word ? PARTS.filter((p) => p.toLowerCase().startsWith(word)) : [];
  if (matches.length === 1) return { part: matches[0]! };
  if (matches.length > 1) return { candidates: matches };
  const typos = word ? PARTS.filter((p) => leven(word, p.toLowerCase()) <= 2) : [];
  return { candidates: typos.length ? typos : PARTS };
}

export function filterExercises(exercises: readonly Exercise[], filter: ExerciseFilter, isPassed: (id: string) => boolean): Exercise[] {
  return exercises.filter(
    (e) =>
      (filter.part === undefined || e.part === filter.part) &&
      (filter.chapter === undefined || e.chapter.number === filter.chapter) &&
      (!filter.todo || !isPassed(e.id)),
  );
}
