/** `hint [id]`: the next hint you have not seen, one at a time; `--all` for every one. */
import type { Command } from 'commander';
import { style } from '../report/style.ts';
import { renderedMarkdown, stdoutTarget } from '../report/rendered-markdown.ts';
import { recordHintSeen } from '../workspace/progress.ts';
import { withCommand } from '../command.ts';
import { CMD, print, resolveExercise, workspaceAndProgress, type GlobalOptions } from './context.ts';
import { trySave, warnNotSaved } from './save.ts';

/** A hint's markdown, its commands spelled as the learner runs learn-ds. */
export const hintMarkdown = (hint: string): string => withCommand(hint, CMD);

/** Renders one hint's markdown (code blocks, `code`, lists) for the terminal. */
export type HintRenderer = (markdown: string) => string;

/** Hints as markdown, rendered and wrapped like statements (for watch, which keeps the renderer loaded). */
export async function markdownHints(): Promise<HintRenderer> {
  const { renderMarkdown } = await import('../report/markdown.ts');
  const target = stdoutTarget();
  return (markdown) => renderMarkdown(markdown, { width: target.width, color: target.colorLevel > 0 });
}

/** Hints from `from` to `to` (exclusive), each headed with its number. */
export function renderHints(hints: readonly string[], from: number, to: number, render: HintRenderer = (s) => s): string {
  return hints
    .slice(from, to)
    .map((hint, i) => `${style.bold(`Hint ${from + i + 1} of ${hints.length}`)}\n${render(hintMarkdown(hint)).trimEnd()}`)
    .join('\n\n');
}

/** renderHints for one command: renderings kept from an earlier one are read back, not made again. */
async function renderedHints(hints: readonly string[], from: number, to: number): Promise<string> {
  const target = stdoutTarget();
  const bodies = new Map<string, string>();
  for (const hint of hints.slice(from, to)) bodies.set(hintMarkdown(hint), await renderedMarkdown(hintMarkdown(hint), target));
  return renderHints(hints, from, to, (markdown) => bodies.get(markdown)!);
}

export async function runHint(id: string | undefined, options: { all?: boolean }, globals: GlobalOptions): Promise<void> {
  const { ws, progress } = await workspaceAndProgress(globals);
  const exercise = resolveExercise(id, progress);
  const seen = progress.exercises[exercise.id]?.hintsSeen ?? 0;
  const total = exercise.hints.length;
  // The follow-up names the exercise when the learner did: it may not be the current one.
  const again = `${CMD} hint${id === undefined ? '' : ` ${exercise.id}`}`;
  if (options.all) {
    const saved = await trySave(ws, (p) => recordHintSeen(p, exercise.id, total));
    print(await renderedHints(exercise.hints, 0, total));
    warnNotSaved(saved, 'Which hints you have seen was not saved');
    return;
  }
  if (seen >= total) {
    print(`${await renderedHints(exercise.hints, total - 1, total)}\n\n${style.dim(`That was the last hint. \`${again} --all\` shows them all again.`)}`);
    return;
  }
  const saved = await trySave(ws, (p) => recordHintSeen(p, exercise.id, seen + 1));
  const left = total - seen - 1;
  print(`${await renderedHints(exercise.hints, seen, seen + 1)}\n\n${style.dim(left > 0 ? `${left} more hint${left > 1 ? 's' : ''}: run \`${again}\` again.` : 'That was the last hint.')}`);
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
