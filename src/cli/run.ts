/** `run [id]`: shows what the learner's code does in the exercise's demo scenario, unjudged. */
import type { Command } from 'commander';
import type { Exercise } from '../catalog/catalog.ts';
import { FAIL, indent, style } from '../report/style.ts';
import { CMD, catalog, print, shown, usageError, type GlobalOptions } from './context.ts';
import { resolveTarget } from './target.ts';
import { refusedSubject } from '../verify/own-files.ts';

/** What `run` says for an exercise without a demo (a demo is optional in the exercise format). */
export function noDemo(exercise: Exercise, all: readonly Exercise[]): string {
  const withDemo = all.filter((e) => e.demoPath).map((e) => e.id);
  return `${exercise.id} has no demo yet.${withDemo.length > 0 ? ` Exercises with one: ${withDemo.join(', ')}.` : ''}`;
}

/** Runs the demo and prints its pictures; sets the exit code (1 when the demo could not finish). */
export async function runDemoCommand(id: string | undefined, options: { file?: string }, globals: GlobalOptions): Promise<void> {
  const { exercise, file } = await resolveTarget('run', id, options.file, globals);
  const refused = options.file === undefined ? undefined : refusedSubject(file, options.file);
  if (refused) throw usageError(refused);
  if (!exercise.demoPath) throw usageError(noDemo(exercise, catalog().exercises));
  // Imported when used: the verdict's renderer brings wrap-ansi and string-width (Intl.Segmenter).
  const [{ runDemo }, { renderPrinted }] = await Promise.all([import('../verify/demo.ts'), import('../report/verdict.ts')]);
  const { pictures, verdict } = await runDemo({ exercise, file, shownFile: shown(file) });
  for (const { title, picture } of pictures) print(`${style.bold(title)}\n\n${picture}\n`);
  if (verdict.printed) print(`${renderPrinted(verdict.printed)}\n`);
  if (verdict.interrupted) {
    process.exitCode = 130;
    return;
  }
  const failed = verdict.checks.filter((c) => !c.passed);
  if (failed.length === 0) {
    print(style.dim(`This shows your code; it judges nothing. \`${CMD} verify\` runs the hidden tests.`));
    return;
  }
  // The demo hit a problem in the learner's code (a throw, a hang, process.exit): say it as verify would.
  print(style.red.bold(`The demo could not ${pictures.length > 0 ? 'finish' : 'run'} with ${shown(file)}:`));
  for (const c of failed) {
    print(`  ${style.red(FAIL)} ${c.name}`);
    if (c.message) print(style.yellow(indent(c.message, '      ')));
    if (c.detail) print(style.dim(indent(c.detail, '      ')));
  }
  process.exitCode = 1;
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('-f, --file <path>', 'run this file instead of the one in your workspace')
    .description('run your code in a demo scenario and draw what it does (nothing is judged or saved)')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} run\n  $ ${CMD} run token-bucket`)
    .action((id: string | undefined, options: { file?: string }) => runDemoCommand(id, options, globals()));
}
