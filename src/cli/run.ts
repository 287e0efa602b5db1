/** `run [id]`: shows what the learner's code does in the exercise's demo scenario, unjudged. */
import type { Command } from 'commander';
import { style } from '../report/style.ts';
import { CMD, catalog, print, shown, usageError, type GlobalOptions } from './context.ts';
import { resolveTarget } from './target.ts';

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('-f, --file <path>', 'run this file instead of the one in your workspace')
    .description('run your code in a demo scenario and draw what it does (nothing is judged or saved)')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} run\n  $ ${CMD} run token-bucket`)
    .action(async (id: string | undefined, options: { file?: string }) => {
      const { exercise, file } = await resolveTarget('run', id, options.file, globals());
      if (!exercise.demoPath) {
        const withDemo = catalog().exercises.filter((e) => e.demoPath).map((e) => e.id);
        throw usageError(`${exercise.id} has no demo yet. Exercises with one: ${withDemo.join(', ')}.`);
      }
      const { runDemo } = await import('../verify/demo.ts');
      const { pictures, verdict } = await runDemo({ exercise, file, shownFile: shown(file) });
      for (const { title, picture } of pictures) print(`${style.bold(title)}\n\n${picture}\n`);
      const failed = verdict.checks.filter((c) => !c.passed);
      if (verdict.interrupted) {
        process.exitCode = 130;
        return;
      }
      if (failed.length > 0) {
        print(style.red.bold(`The demo could not ${pictures.length > 0 ? 'finish' : 'run'} with ${shown(file)}:`));
        for (const c of failed) {
          print(`  ${style.red('✗')} ${c.name}`);
          if (c.message) print(style.yellow(`      ${c.message.split('\n').join('\n      ')}`));
          if (c.detail) print(style.dim(`      ${c.detail.split('\n').join('\n      ')}`));
        }
        process.exitCode = 1;
        return;
      }
      print(style.dim(`This shows your code; it judges nothing. \`${CMD} verify\` runs the hidden tests.`));
    });
}
