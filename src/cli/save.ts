/**
 * Saving progress after a command's main job is done (a verdict, a hint): a workspace that cannot
 * be written costs the record, never the result the learner waited for.
 */
import { updateProgress } from '../workspace/progress-store.ts';
import type { Progress } from '../workspace/progress.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { style } from '../report/style.ts';
import { writeProblem } from './write-problem.ts';

export type Saved = { ok: true; progress: Progress } | { ok: false; problem: string };

export async function trySave(ws: Workspace, change: (p: Progress) => Progress): Promise<Saved> {
  try {
    return { ok: true, progress: await updateProgress(ws.progressFile, change) };
  } catch (error) {
    const problem = writeProblem(error);
    if (problem === undefined) throw error;
    return { ok: false, problem };
  }
}

/** Says on stderr what was not saved (`headline`) and why. */
export function warnNotSaved(saved: Saved | undefined, headline: string): void {
  if (saved && !saved.ok) process.stderr.write(`${style.yellow(`${headline}: learn-ds ${saved.problem}.`)}\n`);
}
