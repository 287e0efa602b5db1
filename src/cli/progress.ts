/** `progress`: how far the learner is, by part of the book. */
import type { Command } from 'commander';
import { renderProgress } from '../report/catalog.ts';
import { CMD, catalog, print, workspaceAndProgress, type GlobalOptions } from './context.ts';

export async function runProgress(globals: GlobalOptions): Promise<void> {
  const { progress } = await workspaceAndProgress(globals);
  print(renderProgress(catalog().exercises, progress));
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('progress')
    .description('show how many exercises you have passed, by part of the book')
    .addHelpText('after', `\nExample:\n  $ ${CMD} progress`)
    .action(() => runProgress(globals()));
}
