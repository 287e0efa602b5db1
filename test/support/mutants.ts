// The mutants of an exercise, ready to judge (src/dev/mutants.ts: patches applied to the reference).
import { basename, join } from 'node:path';
import { isBroken, loadMutants, type Mutant } from '../../src/dev/mutants.ts';

export type { Mutant };

/** Every mutant of the exercise in `exerciseDir`; one that cannot be judged is an error naming it. */
export function mutantsOf(exerciseDir: string): Mutant[] {
  const id = basename(exerciseDir);
  const solutionPath = join(exerciseDir, '..', '..', 'solutions', `${id}.ts`);
  return loadMutants({ id, dir: exerciseDir, solutionPath }).map((m) => {
    if (isBroken(m)) throw new Error(m.problem);
    return m;
  });
}
