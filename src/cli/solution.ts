/** `solution [id]`: the reference solution, once the exercise is passed. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { style } from '../report/style.ts';
import { isPassed } from '../workspace/progress.ts';
import { CMD, CliError, print, resolveExercise, workspaceAndProgress, type GlobalOptions } from './context.ts';

export async function runSolution(id: string | undefined, globals: GlobalOptions): Promise<void> {
  const { progress } = await workspaceAndProgress(globals);
  const exercise = resolveExercise(id, progress);
  if (!isPassed(progress, exercise.id)) {
    throw new CliError(
      `The reference solution of ${exercise.id} unlocks once you pass it. Run \`${CMD} verify${id ? ` ${exercise.id}` : ''}\`; \`${CMD} hint\` helps.`,
    );
  }
  const code = await readFile(exercise.solutionPath, 'utf8');
  print(`${style.bold(`Reference solution of ${exercise.id}`)} ${style.dim(`(one correct way among many)`)}\n\n${code.trimEnd()}`);
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('solution')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .description('show the reference solution of an exercise you have passed')
    .addHelpText('after', `\nExample:\n  $ ${CMD} solution retry-backoff`)
    .action((id: string | undefined) => runSolution(id, globals()));
}
