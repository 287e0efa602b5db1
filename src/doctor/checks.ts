/**
 * The checks of `learn-ds doctor`, as pure functions of what was found on disk, so that each
 * verdict and its fix are tested without a broken machine to hand. probe.ts gathers the facts.
 */
import { posix } from 'node:path';
import { parseProgress, ProgressFormatError } from '../workspace/progress.ts';
import { CMD } from '../command.ts';

export interface CheckResult {
  name: string;
  status: 'ok' | 'fail' | 'skip';
  /** What was found. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export const MIN_NODE = [20, 19] as const;

export function checkNode(version: string): CheckResult {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  const need = `learn-ds needs ${MIN_NODE.join('.')} or newer`;
  return ok
    ? { name: 'Node.js', status: 'ok', detail: `${version.replace(/^v/, '')} (${need})` }
    : { name: 'Node.js', status: 'fail', detail: `${version.replace(/^v/, '')}: too old (${need})`, fix: 'Install a current Node.js from https://nodejs.org/ (or with nvm: `nvm install 22`).' };
}

/** `text` is undefined when the file does not exist. */
export function checkProgressText(file: string, text: string | undefined): CheckResult {
  const name = 'Progress file';
  if (text === undefined) return { name, status: 'ok', detail: `none yet (${file} is written by your first \`next\`)` };
  try {
    const p = parseProgress(text);
    const entries = Object.values(p.exercises);
    const passed = entries.filter((e) => e.status === 'passed').length;
    return { name, status: 'ok', detail: `${file}: format ${p.version}, ${entries.length} started, ${passed} passed` };
  } catch (error) {
    if (!(error instanceof ProgressFormatError)) throw error;
    return {
      name,
      status: 'fail',
      detail: `${file}: ${error.message}`,
      fix:
        error.newerFormat !== undefined
          ? 'Upgrade learn-ds (in the folder you cloned it into: `git pull && npm install`); this one leaves the file alone.'
          : `Fix the file by hand, or run \`${CMD} reset --progress\` to start afresh (the old file is backed up first).`,
    };
  }
}

interface WorkspaceTsconfig {
  compilerOptions?: { typeRoots?: unknown; paths?: Record<string, unknown> };
}

/**
 * The workspace's tsconfig must point at learn-ds's own @types (and simulation kit), or the
 * learner's editor shows errors on every `setTimeout`. `expected` is the tsconfig learn-ds writes;
 * `exists` tells whether a path (relative to the workspace) exists.
 */
export function checkTypes(tsconfigFile: string, text: string | undefined, expected: string, exists: (relative: string) => boolean): CheckResult {
  const name = "Editor types (the workspace's tsconfig.json)";
  if (text === undefined) {
    return { name, status: 'fail', detail: `${tsconfigFile} is missing`, fix: `Write this into ${tsconfigFile}:\n${expected.trimEnd()}` };
  }
  let config: WorkspaceTsconfig;
  try {
    config = JSON.parse(text) as WorkspaceTsconfig;
  } catch (error) {
    return { name, status: 'fail', detail: `${tsconfigFile} is not plain JSON (${(error as Error).message})`, fix: `Fix it, or replace it with:\n${expected.trimEnd()}` };
  }
  const want = JSON.parse(expected) as Required<WorkspaceTsconfig>;
  const roots = config.compilerOptions?.typeRoots;
  const root = Array.isArray(roots) && typeof roots[0] === 'string' ? roots[0] : undefined;
  if (root === undefined || !exists(posix.join(root, 'node', 'index.d.ts'))) {
    return {
      name,
      status: 'fail',
      detail: root === undefined ? 'compilerOptions.typeRoots is not set' : `compilerOptions.typeRoots points at ${root}, which holds no Node types`,
      fix: `In ${tsconfigFile}, set "typeRoots": ${JSON.stringify(want.compilerOptions?.typeRoots)}`,
    };
  }
  for (const [module, targets] of Object.entries(config.compilerOptions?.paths ?? {})) {
    const target = Array.isArray(targets) && typeof targets[0] === 'string' ? targets[0] : undefined;
    if (target !== undefined && !exists(target)) {
      return {
        name,
        status: 'fail',
        detail: `compilerOptions.paths maps ${module} to ${target}, which does not exist`,
        fix: `In ${tsconfigFile}, set "paths": ${JSON.stringify(want.compilerOptions?.paths ?? {})}`,
      };
    }
  }
  return { name, status: 'ok', detail: `Node's types resolve from ${root}` };
}

export function failed(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === 'fail');
}
