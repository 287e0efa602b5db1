/**
 * `watch [id]`: verifies the exercise's file each time it is saved, with single-key commands
 * (like rustlings' watch mode). The session is in src/watch/; this file wires it to the terminal.
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { style } from '../report/style.ts';
import { learnerFile } from '../workspace/workspace.ts';
import { missingFile } from './target.ts';
import { CMD, catalog, print, resolveExercise, shown, usageError, workspaceAndProgress, type GlobalOptions } from './context.ts';
import { markdownHints, renderHints } from './hint.ts';
import { trySave } from './save.ts';
import { renderedStatement } from './statement.ts';
import { dirname } from 'node:path';
import { ENV } from '../verify/protocol.ts';
import { failuresDir } from '../report/explain/run-record.ts';

export interface WatchOptions {
  timeout?: number;
}

function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!(seconds >= 1 && seconds <= 600)) throw new InvalidArgumentError('the timeout is a number of seconds from 1 to 600, e.g. --timeout 30');
  return seconds;
}

export async function runWatch(id: string | undefined, options: WatchOptions, globals: GlobalOptions): Promise<void> {
  const { ws, progress } = await workspaceAndProgress(globals);
  const exercise = resolveExercise(id, progress);
  const file = learnerFile(ws, exercise);
  // Its runs save their failing simulated run for `learn-ds explain`, as verify's do (the warm verifier inherits this).
  process.env[ENV.failures] = failuresDir(dirname(ws.progressFile));
  if (!existsSync(file)) throw missingFile(exercise.id, file, progress, ', then watch it');
  const [{ WatchSession }, { openTerminal }, render] = await Promise.all([import('../watch/session.ts'), import('../watch/terminal.ts'), markdownHints()]);
  const terminal = openTerminal();
  const session = new WatchSession({
    ws,
    catalog: catalog(),
    exercise,
    shown: (path) => shown(path),
    output: terminal,
    ...(options.timeout === undefined ? {} : { timeoutSeconds: options.timeout }),
    cli: { renderHints: (hints, from, to) => renderHints(hints, from, to, render), statement: renderedStatement, save: (change) => trySave(ws, change) },
  });
  terminal.onInput((chunk) => session.input(chunk));
  terminal.onResize(() => session.resized());
  // Without a terminal (or from `kill`), signals end the session the way q does.
  const stop = () => session.quit();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, stop);
  try {
    await session.start();
    await session.done;
  } finally {
    session.quit();
    for (const signal of signals) process.off(signal, stop);
    terminal.restore();
  }
  print(style.dim('Stopped watching.'));
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('watch')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('--timeout <seconds>', "limit of CPU time of each run (default: the exercise's, usually 10 s; a busy machine does not count)", parseTimeout)
    .description('verify your file every time you save it; keys: h hint, l list, s statement, r solution, n next, q quit')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} watch\n  $ ${CMD} watch token-bucket`)
    .action((id: string | undefined, options: WatchOptions) => runWatch(id, options, globals()));
}
