/** `list`: every exercise in book order with its status. */
import type { Command } from 'commander';
import { renderList } from '../report/catalog.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import { emptyProgress } from '../workspace/progress.ts';
import { findWorkspace } from '../workspace/workspace.ts';
import { CMD, catalog, print, type GlobalOptions } from './context.ts';

export async function runList(options: GlobalOptions): Promise<void> {
  const ws = findWorkspace(process.cwd(), options.workspace);
  const progress = ws ? await loadProgress(ws.progressFile) : emptyProgress();
  print(renderList(catalog().exercises, progress));
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('list')
    .description('list the exercises in book order: number, id, chapter, title and your status')
    .addHelpText('after', `\nExample:\n  $ ${CMD} list`)
    .action(() => runList(globals()));
}
