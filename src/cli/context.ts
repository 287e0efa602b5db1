/**
 * What every command needs: the catalog, the workspace, the exercise an [id] names, and errors
 * that end a command with a clear message and the right exit code (1 failure, 2 usage).
 */
import { isAbsolute, relative } from 'node:path';
import leven from 'leven';
import { loadCatalog, type Catalog, type Exercise } from '../catalog/catalog.ts';
import { findWorkspace, type Workspace } from '../workspace/workspace.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import type { Progress } from '../workspace/progress.ts';

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, 2);

export interface GlobalOptions {
  workspace?: string;
}

let cachedCatalog: Catalog | undefined;
export function catalog(): Catalog {
  cachedCatalog ??= loadCatalog();
  return cachedCatalog;
}

/** How to run learn-ds, as the learner typed it: shown in every "run this next" line. */
export { CMD } from '../command.ts';
import { CMD } from '../command.ts';

/** A path as the learner would type it from where they are. */
export function shown(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export function requireWorkspace(options: GlobalOptions): Workspace {
  const ws = findWorkspace(process.cwd(), options.workspace);
  if (ws) return ws;
  const where = options.workspace ?? process.env.LEARN_DS_WORKSPACE;
  throw usageError(
    where
      ? `${where} is not a learn-ds workspace. Run \`${CMD} next --workspace ${where}\` to create it.`
      : `No learn-ds workspace here or above ${process.cwd()}. Run \`${CMD} next\` to start one.`,
  );
}

export async function workspaceAndProgress(options: GlobalOptions): Promise<{ ws: Workspace; progress: Progress }> {
  const ws = requireWorkspace(options);
  return { ws, progress: await loadProgress(ws.progressFile) };
}

/** The exercise an [id] argument names, or the current one when it is omitted. */
export function resolveExercise(id: string | undefined, progress: Progress | undefined): Exercise {
  const { byId, exercises } = catalog();
  if (id === undefined) {
    const current = progress?.current ? byId.get(progress.current) : undefined;
    if (current) return current;
    throw usageError(`No current exercise. Run \`${CMD} next\` to start one, or name one (\`${CMD} list\` shows them).`);
  }
  const found = byId.get(id);
  if (found) return found;
  // `show 15`: the number `list` shows.
  if (/^\d+$/.test(id)) {
    const byNumber = exercises.find((e) => e.number === Number(id));
    if (byNumber) return byNumber;
    throw usageError(`There is no exercise number ${id}: they are numbered 1 to ${exercises.length}. \`${CMD} list\` shows them.`);
  }
  if (/[\\/]|\.\./.test(id)) throw usageError(`"${id}" is not an exercise id (ids have no slashes or dots); \`${CMD} list\` shows them.`);
  const suggestions = suggestIds(id, exercises.map((e) => e.id));
  const meant = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : '';
  throw usageError(`There is no exercise "${id}".${meant} \`${CMD} list\` shows them all.`);
}

/** Ids a mistyped one may have meant: every id it begins (or is part of), else the closest by edit distance. */
export function suggestIds(typed: string, ids: readonly string[]): string[] {
  const lower = typed.toLowerCase();
  const containing = ids.filter((id) => id.startsWith(lower) || (lower.length >= 3 && id.includes(lower)));
  if (containing.length > 0) return containing.slice(0, 4);
  const closest = ids
    .map((id) => ({ id, distance: leven(lower, id) }))
    .filter((c) => c.distance <= Math.max(2, Math.floor(c.id.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  return closest ? [closest.id] : [];
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
