/**
 * `reset [id]`: restore an exercise's starter file, keeping a backup of yours.
 * `reset --all` does it for every exercise and starts progress afresh; `reset --progress` only
 * starts progress afresh. Nothing is deleted: files and progress are copied into .learn-ds/backups.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { style } from '../report/style.ts';
import { backupFile } from '../workspace/fs-safe.ts';
import { loadProgress, saveProgress } from '../workspace/progress-store.ts';
import { emptyProgress } from '../workspace/progress.ts';
import { learnerFile, resetExercise, type Workspace } from '../workspace/workspace.ts';
import { CMD, catalog, print, requireWorkspace, resolveExercise, shown, usageError, type GlobalOptions } from './context.ts';
import { canPrompt, promptTheme } from './interactive.ts';

export interface ResetOptions {
  all?: boolean;
  progress?: boolean;
  yes?: boolean;
}

/** `reset --all` touches every file: it asks first, or needs --yes where nobody can answer. */
async function confirmAll(count: number): Promise<boolean> {
  const what = `restore the starter of ${count} exercise file${count === 1 ? '' : 's'} and start your progress afresh`;
  if (!canPrompt()) {
    throw usageError(`\`reset --all\` would ${what} (everything is backed up first). There is no terminal to ask you on, so add --yes: \`${CMD} reset --all --yes\`.`);
  }
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message: `Really ${what}? Everything is backed up in .learn-ds/backups/ first.`, default: false, theme: promptTheme() }).catch(
    (error: unknown) => {
      if (error instanceof Error && error.name === 'ExitPromptError') return false; // Ctrl-C: no
      throw error;
    },
  );
}

async function resetProgressFile(ws: Workspace): Promise<void> {
  if (existsSync(ws.progressFile)) {
    const backup = await backupFile(ws.progressFile, ws.backupsDir);
    print(`Progress started afresh; the old progress file is kept at ${shown(backup)}.`);
  }
  await saveProgress(ws.progressFile, emptyProgress());
}

async function resetOne(ws: Workspace, id: string | undefined): Promise<void> {
  // Progress is read only to know the current exercise, so a named reset works even if it is unreadable.
  const exercise = resolveExercise(id, id === undefined ? await loadProgress(ws.progressFile) : undefined);
  const existed = existsSync(learnerFile(ws, exercise));
  const { file, backup } = await resetExercise(ws, exercise);
  if (!existed) {
    // Nothing to restore: say what was done instead (the starter written, nothing replaced).
    print(`There was no file for ${exercise.id}: its starter is now in ${shown(file)} (nothing was replaced). \`${CMD} start ${exercise.id}\` makes it your current exercise.`);
    return;
  }
  print(
    `Restored the starter of ${exercise.id} in ${shown(file)}.` +
      (backup ? `\nYour version is kept at ${shown(backup)}.` : style.dim('\n(It was the starter already: nothing to back up.)')),
  );
}

export async function runReset(id: string | undefined, options: ResetOptions, globals: GlobalOptions): Promise<void> {
  if ((options.all || options.progress) && id !== undefined) throw usageError('Give either an exercise id, or --all / --progress, not both.');
  const ws = requireWorkspace(globals);
  if (options.all) {
    const started = catalog().exercises.filter((e) => existsSync(learnerFile(ws, e)));
    if (!options.yes && !(await confirmAll(started.length))) {
      print('Nothing was changed.');
      return;
    }
    for (const exercise of started) {
      const { file, backup } = await resetExercise(ws, exercise);
      print(`Restored ${shown(file)}${backup ? style.dim(` (yours: ${shown(backup)})`) : ''}`);
    }
    await resetProgressFile(ws);
    return;
  }
  if (options.progress) return resetProgressFile(ws);
  return resetOne(ws, id);
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('reset')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('--all', 'restore every exercise file and start progress afresh (everything is backed up first)')
    .option('--progress', 'start progress afresh, keeping your files (the old progress file is backed up)')
    .option('-y, --yes', 'with --all: do not ask for confirmation (needed without a terminal)')
    .description("restore an exercise's starter file; yours is backed up in .learn-ds/backups/")
    .addHelpText('after', `\nExamples:\n  $ ${CMD} reset\n  $ ${CMD} reset token-bucket\n  $ ${CMD} reset --all --yes`)
    .action((id: string | undefined, options: ResetOptions) => runReset(id, options, globals()));
}
