/** The exercise and learner file a command works on: `[id]` (or the current one) and `--file`. */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Exercise } from '../catalog/catalog.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import type { Progress } from '../workspace/progress.ts';
import { findWorkspace, learnerFile, type Workspace } from '../workspace/workspace.ts';
import { CMD, CliError, catalog, resolveExercise, shown, usageError, type GlobalOptions } from './context.ts';

export interface Target {
  ws: Workspace | undefined;
  progress: Progress | undefined;
  exercise: Exercise;
  /** Absolute path of the learner's file. */
  file: string;
}

/** `command` names the command in messages ("verify", "run"). */
export async function resolveTarget(command: string, id: string | undefined, fileOption: string | undefined, globals: GlobalOptions): Promise<Target> {
  const ws = findWorkspace(process.cwd(), globals.workspace);
  const progress = ws ? await loadProgress(ws.progressFile) : undefined;
  if (!ws && !fileOption) {
    throw usageError(`No learn-ds workspace here. Run \`${CMD} next\` to start one, or use any file with \`${CMD} ${command} <id> --file PATH\`.`);
  }
  // `verify path/to/retry-backoff.ts`: a file where the id goes.
  if (id !== undefined && fileOption === undefined && looksLikePath(id)) {
    const inferred = exerciseOfFile(id);
    if (inferred && existsSync(resolve(id))) return { ws, progress, exercise: inferred, file: resolve(id) };
    throw usageError(
      `"${id}" is a file, not an exercise id. Name the exercise and the file: \`${CMD} ${command} ${inferred?.id ?? '<id>'} --file ${id}\`` +
        `${inferred ? '' : ` (\`${CMD} list\` shows the ids)`}.`,
    );
  }
  const exercise = resolveExercise(id, progress);
  if (fileOption) {
    const file = resolve(fileOption);
    if (!existsSync(file)) throw usageError(`${fileOption} does not exist.`);
    return { ws, progress, exercise, file };
  }
  const file = learnerFile(ws!, exercise);
  if (!existsSync(file)) throw missingFile(exercise.id, file, progress);
  return { ws, progress, exercise, file };
}

const looksLikePath = (id: string) => /[\\/]/.test(id) || /\.[cm]?[jt]s$/.test(id);

/** The exercise whose learner file has this name (retry-backoff.ts → retry-backoff), if any. */
function exerciseOfFile(path: string): Exercise | undefined {
  const name = basename(path);
  return catalog().exercises.find((e) => e.file === name || `${e.id}.ts` === name);
}

/** The learner's file is not there: never made (start it), or gone (start it again; backups kept). */
export function missingFile(id: string, file: string, progress: Progress | undefined, then = ''): CliError {
  if (progress?.exercises[id]) {
    return usageError(
      `Your file for ${id} is gone (no ${shown(file)}). Run \`${CMD} start ${id}\` to get the starter back${then}; ` +
        'any version of yours that learn-ds replaced is in .learn-ds/backups/ in your workspace.',
    );
  }
  return usageError(`You have not started ${id} yet (no ${shown(file)}). Run \`${CMD} start ${id}\`${then}.`);
}
