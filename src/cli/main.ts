/** The learn-ds command line: global options, one module per command, errors made readable. */
import { Command, CommanderError } from 'commander';
import { ManifestError } from '../catalog/manifest.ts';
import { packageVersion } from '../package-paths.ts';
import { disableColor, style } from '../report/style.ts';
import { ProgressFileError } from '../workspace/progress-store.ts';
import { COMMAND_ENV } from '../command.ts';
import { CMD, CliError, type GlobalOptions } from './context.ts';
import { writeProblem } from './write-problem.ts';
import { canPrompt } from './interactive.ts';
import * as next from './next.ts';
import * as list from './list.ts';
import * as show from './show.ts';
import * as verify from './verify.ts';
import * as run from './run.ts';
import * as hint from './hint.ts';
import * as solution from './solution.ts';
import * as reset from './reset.ts';
import * as progress from './progress.ts';
import * as doctor from './doctor.ts';
import * as watch from './watch.ts';
import * as stop from './stop.ts';
import * as explainCommand from './explain.ts';

function buildProgram(json = false): Command {
  const program = new Command('learn-ds')
    .description('Learn distributed systems by building them, chapter by chapter along "Understanding Distributed Systems".')
    .version(packageVersion(), '-v, --version')
    .option('-w, --workspace <dir>', 'the workspace folder (default: ./learn-ds, or $LEARN_DS_WORKSPACE, or found above)')
    .option('--no-color', 'plain output without colours (NO_COLOR works too)')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Set before the commands are added, so that each of them inherits it.
    .configureOutput(json ? { outputError: () => undefined } : {})
    .addHelpText('after', `\nStart here:\n  $ ${CMD} next      start the next exercise\n  $ ${CMD} verify    judge your file\n  $ ${CMD} hint      a hint, one at a time`);
  program.hook('preAction', () => {
    if (program.opts<{ color: boolean }>().color === false) disableColor();
  });
  const globals = (): GlobalOptions => {
    const { workspace } = program.opts<{ workspace?: string }>();
    return workspace === undefined ? {} : { workspace };
  };
  for (const command of [next, list, show, verify, run, hint, solution, reset, progress, doctor, watch, stop, explainCommand]) command.register(program, globals);
  return program;
}

/** Bare `learn-ds` (global options at most): a menu on a terminal, the help anywhere else. */
async function runBare(program: Command, argv: readonly string[]): Promise<void> {
  program.parseOptions(argv.slice(2));
  if (program.opts<{ color: boolean }>().color === false) disableColor();
  if (canPrompt()) {
    const { runMenu } = await import('./menu.ts');
    const { workspace } = program.opts<{ workspace?: string }>();
    await runMenu(workspace === undefined ? {} : { workspace });
  } else {
    program.outputHelp();
    process.stdout.write(`\n(The menu needs a terminal, and CI unset. Run a command instead, e.g. \`${CMD} next\`.)\n`);
  }
}

const isBare = (args: readonly string[]) =>
  args.every((a, i) => a.startsWith('-') || ['-w', '--workspace'].includes(args[i - 1] ?? '')) &&
  !args.some((a) => ['-h', '--help', '-v', '--version'].includes(a));

function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CommanderError) {
    // Help and --version "exit" with 0; every other commander error is a usage error.
    return { message: '', exitCode: error.exitCode === 0 ? 0 : 2 };
  }
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ProgressFileError) return { message: error.message, exitCode: 1 };
  if (error instanceof ManifestError) return { message: `learn-ds's exercise catalog is broken (a learn-ds bug):\n${error.message}`, exitCode: 1 };
  const problem = writeProblem(error);
  if (problem) return { message: `learn-ds ${problem}.`, exitCode: 1 };
  const err = error instanceof Error ? error : new Error(String(error));
  const stack = process.env.LEARN_DS_DEBUG ? `\n${err.stack ?? ''}` : '\n(set LEARN_DS_DEBUG=1 for the stack trace)';
  return { message: `learn-ds hit an unexpected error: ${err.message}${stack}`, exitCode: 1 };
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  // What learn-ds starts (a verifier child, the daemon) prints the learner's form of the command too.
  process.env[COMMAND_ENV] = CMD;
  if (argv[2] === '__daemon') {
    // The warm verifier daemon, started by `verify` (src/verify/daemon/): no command line of its own.
    const { runDaemon } = await import('../verify/daemon/server.ts');
    await runDaemon().catch(() => process.exit(0));
    return;
  }
  // `learn-ds --help | head`: the reader left; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  // With --json, a usage error is JSON too (on stdout, where the script reads), not commander's text.
  const json = argv.slice(2).includes('--json');
  try {
    const program = buildProgram(json);
    if (isBare(argv.slice(2))) await runBare(program, argv);
    else await program.parseAsync([...argv]);
  } catch (error) {
    const { message, exitCode } = explain(error);
    if (json && exitCode === 2) process.stdout.write(`${JSON.stringify({ error: { message: usageText(error, message), exitCode } })}\n`);
    else if (message) process.stderr.write(`${style.red(message)}\n`);
    process.exitCode = exitCode;
  }
}

/** A usage error's text, commander's included ("error: " and the help hint left out). */
function usageText(error: unknown, message: string): string {
  if (error instanceof CommanderError) return error.message.replace(/^error: /, '');
  return message;
}
