/** `hint [id]`: the next hint you have not seen, one at a time; `--all` for every one. */
import type { Command } from 'commander';
import { style } from '../report/style.ts';
import { recordHintSeen } from '../workspace/progress.ts';
import { withCommand } from '../command.ts';
import { CMD, print, resolveExercise, workspaceAndProgress, type GlobalOptions } from './context.ts';
import { trySave, warnNotSaved } from './save.ts';

/** Renders one hint's markdown (code blocks, `code`, lists) for the terminal. */
export type HintRenderer = (markdown: string) => string;

/** Hints as markdown, rendered and wrapped like statements (the renderer is loaded only when asked for). */
export async function markdownHints(): Promise<HintRenderer> {
  const { renderMarkdown, textWidth } = await import('../report/markdown.ts');
  return (markdown) => renderMarkdown(markdown, { width: textWidth(process.stdout), color: style.level > 0 }).trimEnd();
}

export function renderHints(hints: readonly string[], from: number, to: number, render: HintRenderer = (s) => s): string {
  return hints
    .slice(from, to)
    .map((hint, i) => `${style.bold(`Hint ${from + i + 1} of ${hints.length}`)}\n${render(withCommand(hint, CMD))}`)
    .join('\n\n');
}

export async function runHint(id: string | undefined, options: { all?: boolean }, globals: GlobalOptions): Promise<void> {
  const { ws, progress } = await workspaceAndProgress(globals);
  const exercise = resolveExercise(id, progress);
  const seen = progress.exercises[exercise.id]?.hintsSeen ?? 0;
  const total = exercise.hints.length;
  // The follow-up names the exercise when the learner did: it may not be the current one.
  const again = `${CMD} hint${id === undefined ? '' : ` ${exercise.id}`}`;
  const render = await markdownHints();
  if (options.all) {
    const saved = await trySave(ws, (p) => recordHintSeen(p, exercise.id, total));
    print(renderHints(exercise.hints, 0, total, render));
    warnNotSaved(saved, 'Which hints you have seen was not saved');
    return;
  }
  if (seen >= total) {
    print(`${renderHints(exercise.hints, total - 1, total, render)}\n\n${style.dim(`That was the last hint. \`${again} --all\` shows them all again.`)}`);
    return;
  }
  const saved = await trySave(ws, (p) => recordHintSeen(p, exercise.id, seen + 1));
  const left = total - seen - 1;
  print(`${renderHints(exercise.hints, seen, seen + 1, render)}\n\n${style.dim(left > 0 ? `${left} more hint${left > 1 ? 's' : ''}: run \`${again}\` again.` : 'That was the last hint.')}`);
  warnNotSaved(saved, 'Which hints you have seen was not saved');
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('hint')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('-a, --all', 'show every hint at once')
    .description('show the next hint for an exercise, one at a time')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} hint\n  $ ${CMD} hint --all`)
    .action((id: string | undefined, options: { all?: boolean }) => runHint(id, options, globals()));
}
