/** `show [id]`: print an exercise's statement. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { exerciseHeading } from '../report/catalog.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import { findWorkspace } from '../workspace/workspace.ts';
import { CMD, catalog, print, resolveExercise, type GlobalOptions } from './context.ts';

export async function runShow(id: string | undefined, options: GlobalOptions): Promise<void> {
  const ws = findWorkspace(process.cwd(), options.workspace);
  const progress = ws ? await loadProgress(ws.progressFile) : undefined;
  const exercise = resolveExercise(id, progress);
  const statement = await readFile(exercise.readmePath, 'utf8');
  print(`${exerciseHeading(exercise, catalog().exercises.length)}\n\n${statement.trim()}`);
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('show')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .description("print an exercise's statement")
    .addHelpText('after', `\nExample:\n  $ ${CMD} show token-bucket`)
    .action((id: string | undefined) => runShow(id, globals()));
}
