/** The exercise and learner file a command works on: `[id]` (or the current one) and `--file`. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Exercise } from '../catalog/catalog.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import type { Progress } from '../workspace/progress.ts';
import { findWorkspace, learnerFile, type Workspace } from '../workspace/workspace.ts';
import { CMD, resolveExercise, shown, usageError, type GlobalOptions } from './context.ts';

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
  const exercise = resolveExercise(id, progress);
  if (fileOption) {
    const file = resolve(fileOption);
    if (!existsSync(file)) throw usageError(`${fileOption} does not exist.`);
    return { ws, progress, exercise, file };
  }
  const file = learnerFile(ws!, exercise);
  if (!existsSync(file)) {
    throw usageError(`You have not started ${exercise.id} yet (no ${shown(file)}). Run \`${CMD} start ${exercise.id}\`.`);
  }
  return { ws, progress, exercise, file };
}
