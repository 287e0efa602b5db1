/** `show [id]`: print an exercise's statement, rendered for the terminal or (`--plain`) as markdown. */
import type { Command } from 'commander';
import { loadProgress } from '../workspace/progress-store.ts';
import { findWorkspace } from '../workspace/workspace.ts';
import { CMD, print, resolveExercise, type GlobalOptions } from './context.ts';
import { readStatement, renderedStatement } from './statement.ts';

export async function runShow(id: string | undefined, options: GlobalOptions, { plain = false }: { plain?: boolean } = {}): Promise<void> {
  const ws = findWorkspace(process.cwd(), options.workspace);
  const progress = ws ? await loadProgress(ws.progressFile) : undefined;
  const exercise = resolveExercise(id, progress);
  // --plain: the README exactly, to read in an editor or pipe into another renderer.
  if (plain) process.stdout.write(await readStatement(exercise));
  else print(await renderedStatement(exercise));
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('show')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('--plain', 'print the statement as raw markdown, without rendering')
    .description("print an exercise's statement, rendered for the terminal")
    .addHelpText('after', `\nExamples:\n  $ ${CMD} show token-bucket\n  $ ${CMD} show token-bucket --plain > statement.md`)
    .action((id: string | undefined, options: { plain?: boolean }) => runShow(id, globals(), options));
}
