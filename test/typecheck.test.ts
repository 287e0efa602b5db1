/**
 * npm test's type-check, in one TypeScript program: the whole project as `npm run typecheck`
 * (tsc --noEmit) sees it, and the typecheck rule of every exercise (src/dev/rules.ts: its starter,
 * reference, hidden suite, demo and every mutant with its patch applied), which `npm run check`
 * reports per exercise. A test file of its own, so that it runs beside the exercises' proofs
 * (test/exercises.test.ts) instead of before them, and builds the program once rather than per
 * exercise.
 */
import { expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { formatFindings } from '../src/dev/rules.ts';
import { typecheckProject } from '../src/dev/typecheck.ts';

/** The type checker takes a minute or two of CPU; a busy machine stretches it many times over. */
const TYPECHECK_TIMEOUT_MS = 30 * 60_000;

test(
  'the project type-checks, and so does every exercise: starter, reference, hidden suite, demo and every mutant (patches applied)',
  async () => {
    const { byExercise, project } = await typecheckProject(loadCatalog().exercises);
    expect(project, project.join('\n')).toEqual([]);
    const findings = [...byExercise].flatMap(([id, found]) => found.map((f) => ({ ...f, problem: `${id}: ${f.problem}` })));
    expect(findings, formatFindings(findings)).toEqual([]);
  },
  TYPECHECK_TIMEOUT_MS,
);
