/** `next` and `start <id>`: scaffold an exercise in the workspace and print its statement. */
import type { Command } from 'commander';
import type { Exercise } from '../catalog/catalog.ts';
import { style } from '../report/style.ts';
import { loadProgress, updateProgress } from '../workspace/progress-store.ts';
import { isPassed, markStarted, nextExerciseId } from '../workspace/progress.ts';
import { createWorkspace, findWorkspace, newWorkspaceRoot, scaffoldExercise, type Workspace } from '../workspace/workspace.ts';
import { CMD, catalog, print, resolveExercise, shown, type GlobalOptions } from './context.ts';
import { renderedStatement } from './statement.ts';

async function openOrCreateWorkspace(options: GlobalOptions): Promise<Workspace> {
  const found = findWorkspace(process.cwd(), options.workspace);
  if (found) return found;
  const ws = await createWorkspace(newWorkspaceRoot(process.cwd(), options.workspace));
  print(style.green(`Created your workspace in ${shown(ws.root)}/`));
  return ws;
}

/** Scaffolds `exercise`, makes it current, and prints where to work and its statement. */
export async function startExercise(ws: Workspace, exercise: Exercise): Promise<void> {
  const { file, created } = await scaffoldExercise(ws, exercise);
  await updateProgress(ws.progressFile, (p) => markStarted(p, exercise.id));
  print([
    await renderedStatement(exercise),
    '',
    style.bold(`Your file: ${shown(file)}`) + style.dim(created ? ' (new, from the starter)' : ' (already there: kept as it is)'),
    `Edit it, then run ${style.cyan(`${CMD} verify`)}. Stuck? ${style.cyan(`${CMD} hint`)}.`,
  ].join('\n'));
}

export async function runNext(options: GlobalOptions): Promise<void> {
  const ws = await openOrCreateWorkspace(options);
  const progress = await loadProgress(ws.progressFile);
  const ids = catalog().exercises.map((e) => e.id);
  const nextId = nextExerciseId(progress, ids);
  if (nextId === null) {
    print(style.green.bold(`You have passed all ${ids.length} exercises. Well done!`) + `\n\`${CMD} solution <id>\` shows any reference solution.`);
    return;
  }
  const current = progress.current;
  if (current && current !== nextId && !isPassed(progress, current)) {
    print(style.yellow(`Leaving ${current} unfinished; come back to it with \`${CMD} start ${current}\`.`) + '\n');
  }
  await startExercise(ws, resolveExercise(nextId, progress));
}

export async function runStart(id: string, options: GlobalOptions): Promise<void> {
  const exercise = resolveExercise(id, undefined);
  await startExercise(await openOrCreateWorkspace(options), exercise);
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('next')
    .description('start the next exercise you have not passed: creates its file and prints its statement')
    .addHelpText('after', `\nExample:\n  $ ${CMD} next`)
    .action(() => runNext(globals()));
  program
    .command('start')
    .argument('<id>', 'exercise id (see `list`)')
    .description('jump to any exercise: creates its file if needed and makes it the current one')
    .addHelpText('after', `\nExample:\n  $ ${CMD} start circuit-breaker`)
    .action((id: string) => runStart(id, globals()));
}
