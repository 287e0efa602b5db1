/**
 * The learner's workspace: a folder (./learn-ds by default) with one file per started exercise,
 * laid out by chapter, plus what an editor needs for types and learn-ds's own state in .learn-ds/.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Exercise } from '../catalog/catalog.ts';
import { chapterSlug } from '../catalog/chapters.ts';
import { packageRoot, packageVersion } from '../package-paths.ts';
import { backupFile, writeFileAtomic } from './fs-safe.ts';
import { CMD } from '../command.ts';

export const DEFAULT_WORKSPACE_NAME = 'learn-ds';
export const WORKSPACE_ENV = 'LEARN_DS_WORKSPACE';
/** The module name learners import the simulation kit by. */
export const SIM_MODULE = 'learn-ds/sim';
const STATE_DIR = '.learn-ds';
const MARKER = 'workspace.json';

export interface Workspace {
  root: string;
  progressFile: string;
  backupsDir: string;
}

export function workspaceAt(root: string): Workspace {
  const abs = resolve(root);
  return { root: abs, progressFile: join(abs, STATE_DIR, 'progress.json'), backupsDir: join(abs, STATE_DIR, 'backups') };
}

function isWorkspace(dir: string): boolean {
  return existsSync(join(dir, STATE_DIR, MARKER));
}

/**
 * Finds the workspace: an explicit folder (--workspace, then $LEARN_DS_WORKSPACE), else the nearest
 * folder at or above `cwd` that is one or holds ./learn-ds/ that is one. undefined when none.
 */
export function findWorkspace(cwd: string, explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): Workspace | undefined {
  const named = explicit || env[WORKSPACE_ENV];
  if (named) {
    const root = resolve(cwd, named);
    return isWorkspace(root) ? workspaceAt(root) : undefined;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isWorkspace(dir)) return workspaceAt(dir);
    const child = join(dir, DEFAULT_WORKSPACE_NAME);
    if (isWorkspace(child)) return workspaceAt(child);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Where `learn-ds next` creates a workspace when there is none: ./learn-ds/, except inside
 * learn-ds's own sources (src/, exercises/, …), where it goes beside them, at the clone's top.
 */
export function newWorkspaceRoot(cwd: string, explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, ownRoot = packageRoot): string {
  const named = explicit || env[WORKSPACE_ENV];
  if (named) return resolve(cwd, named);
  const inside = relative(ownRoot, resolve(cwd));
  const inOwnTree = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
  return join(inOwnTree ? ownRoot : resolve(cwd), DEFAULT_WORKSPACE_NAME);
}

/** The learner's file of an exercise: <workspace>/<chapter>/<file>, e.g. 27-downstream-resiliency/retry-backoff.ts */
export function learnerFile(ws: Workspace, exercise: Exercise): string {
  return join(ws.root, chapterSlug(exercise.chapterInfo), exercise.file);
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/**
 * Modules learner files import by name, resolved from learn-ds's own install: the simulation kit's
 * types (nodes that run in the simulator) and fast-check (property-tests, where the learner writes properties).
 */
function modulePaths(pkg: string): Record<string, string[]> {
  return { [SIM_MODULE]: [`${pkg}/src/sim/index.ts`], 'fast-check': [`${pkg}/node_modules/fast-check`] };
}

/** The workspace's tsconfig: strict, with Node's types resolved from learn-ds's own install. */
export function workspaceTsconfig(root: string): string {
  const pkg = toPosix(relative(root, packageRoot)) || '.';
  const config = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023'],
      // Bundler resolution: no package.json is needed beside the learner's files (one would stop
      // `npx learn-ds` from finding learn-ds when run inside the workspace).
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      types: ['node'],
      typeRoots: [`${pkg}/node_modules/@types`],
      paths: modulePaths(pkg),
    },
    include: ['**/*.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

const WORKSPACE_README = `# Your learn-ds workspace

Each exercise you start appears here as one file, in a folder named after the book's chapter.
Edit it, then run \`${CMD} verify\`. Your progress is kept in \`.learn-ds/\`.

- \`${CMD}\` opens a menu; \`${CMD} --help\` lists every command.
- \`${CMD} reset <id>\` restores an exercise's starter file (yours is backed up in \`.learn-ds/backups/\`).
`;

/** Creates the workspace's folders and files where missing; never overwrites the learner's files. */
export async function createWorkspace(root: string): Promise<Workspace> {
  const ws = workspaceAt(root);
  await mkdir(join(ws.root, STATE_DIR), { recursive: true });
  const files: Array<[string, string]> = [
    [join(ws.root, STATE_DIR, MARKER), `${JSON.stringify({ createdWith: packageVersion() }, null, 2)}\n`],
    [join(ws.root, 'tsconfig.json'), workspaceTsconfig(ws.root)],
    [join(ws.root, 'README.md'), WORKSPACE_README],
  ];
  for (const [file, content] of files) {
    if (!existsSync(file)) await writeFileAtomic(file, content);
  }
  await addSimPath(join(ws.root, 'tsconfig.json'));
  return ws;
}

/**
 * Workspaces made before the simulation kit (or fast-check's mapping) existed lack a path mapping:
 * add what is missing, keeping the rest of the learner's tsconfig as it is. A tsconfig that is not
 * plain JSON is left alone.
 */
async function addSimPath(file: string): Promise<void> {
  let config: { compilerOptions?: { paths?: Record<string, string[]> } };
  try {
    config = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return;
  }
  const options = config.compilerOptions;
  if (!options) return;
  const pkg = toPosix(relative(dirname(file), packageRoot)) || '.';
  const missing = Object.entries(modulePaths(pkg)).filter(([name]) => !options.paths?.[name]);
  if (missing.length === 0) return;
  options.paths = { ...options.paths, ...Object.fromEntries(missing) };
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
}

/** Puts the starter file in place unless the learner already has a file there. Returns its path. */
export async function scaffoldExercise(ws: Workspace, exercise: Exercise): Promise<{ file: string; created: boolean }> {
  const file = learnerFile(ws, exercise);
  if (existsSync(file)) return { file, created: false };
  await mkdir(dirname(file), { recursive: true });
  await copyFile(exercise.starterPath, file);
  return { file, created: true };
}

/** Restores the starter file, first copying the learner's file into the backups. */
export async function resetExercise(ws: Workspace, exercise: Exercise): Promise<{ file: string; backup: string | null }> {
  const file = learnerFile(ws, exercise);
  let backup: string | null = null;
  if (existsSync(file)) {
    const [mine, starter] = await Promise.all([readFile(file), readFile(exercise.starterPath)]);
    if (!mine.equals(starter)) backup = await backupFile(file, join(ws.backupsDir, exercise.id));
  }
  await mkdir(dirname(file), { recursive: true });
  await copyFile(exercise.starterPath, file);
  return { file, backup };
}
