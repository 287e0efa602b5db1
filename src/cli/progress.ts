/** `progress`: how far the learner is, by part of the book and by chapter. */
import type { Command } from 'commander';
import { progressJson, renderProgress, summarizeProgress } from '../report/progress.ts';
import { CMD, catalog, print, workspaceAndProgress, type GlobalOptions } from './context.ts';

export async function runProgress(globals: GlobalOptions, options: { json?: boolean } = {}): Promise<void> {
  const { progress } = await workspaceAndProgress(globals);
  const summary = summarizeProgress(catalog().exercises, progress);
  print(options.json ? progressJson(summary) : renderProgress(summary));
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('progress')
    .description('show how many exercises you have passed, by part of the book and by chapter')
    .option('--json', 'print JSON: {"passed", "total", "current", "parts": [{"name", "passed", "total", "chapters": [{"number", "title", "passed", "total"}]}]}')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} progress\n  $ ${CMD} progress --json`)
    .action((options: { json?: boolean }) => runProgress(globals(), options));
}
