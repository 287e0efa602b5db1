/** Gathers what `doctor` checks: runs each probe on this machine and hands the facts to checks.ts. */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFailure, type WriteFailure } from '../cli/write-problem.ts';
import { packageRoot } from '../package-paths.ts';
import { findWorkspace, workspaceTsconfig } from '../workspace/workspace.ts';
import { checkNode, checkProgressText, checkTypes, type CheckResult } from './checks.ts';
import { CMD } from '../command.ts';

/** The launcher's bundle of the CLI (bin/learn-ds.js). */
export const bundleCacheDir = join(packageRoot, 'node_modules', '.cache', 'learn-ds');

/** Writes and removes a scratch file in `dir`: the only sure test (root ignores file modes, mounts may be read-only). */
async function probeWrite(dir: string, create = false): Promise<WriteFailure | undefined> {
  try {
    if (create) await mkdir(dir, { recursive: true });
    const file = join(dir, `.learn-ds-doctor-${process.pid}.tmp`);
    await (await open(file, 'wx')).close();
    await unlink(file);
    return undefined;
  } catch (error) {
    return writeFailure(error) ?? { what: `cannot write in ${dir}: ${(error as Error).message}`, fix: 'Make it writable' };
  }
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function runChecks(cwd: string, workspaceOption: string | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(process.version)];
  const ws = findWorkspace(cwd, workspaceOption);
  if (!ws) {
    results.push({
      name: 'Workspace',
      status: 'fail',
      detail: `none found ${workspaceOption || process.env.LEARN_DS_WORKSPACE ? `at ${resolve(cwd, workspaceOption || process.env.LEARN_DS_WORKSPACE!)}` : `here or above ${cwd}`}`,
      fix: `Run \`${CMD} next\` to create one (or point at yours with --workspace DIR).`,
    });
    for (const name of ['Progress file', "Editor types (the workspace's tsconfig.json)"]) results.push({ name, status: 'skip', detail: 'no workspace' });
  } else {
    const problem = (await probeWrite(ws.root)) ?? (await probeWrite(join(ws.progressFile, '..')));
    results.push(
      problem
        ? { name: 'Workspace', status: 'fail', detail: `found at ${ws.root}, but learn-ds ${problem.what}`, fix: `${problem.fix}.` }
        : { name: 'Workspace', status: 'ok', detail: `${ws.root} (writable)` },
    );
    try {
      results.push(checkProgressText(ws.progressFile, await readIfThere(ws.progressFile)));
    } catch (error) {
      results.push({ name: 'Progress file', status: 'fail', detail: `${ws.progressFile}: ${(error as Error).message}`, fix: 'Make it readable.' });
    }
    const tsconfig = join(ws.root, 'tsconfig.json');
    results.push(checkTypes(tsconfig, await readIfThere(tsconfig).catch(() => undefined), workspaceTsconfig(ws.root), (p) => existsSync(resolve(ws.root, p))));
  }
  const cacheProblem = await probeWrite(bundleCacheDir, true);
  results.push(
    cacheProblem
      ? {
          name: 'Start-up cache',
          status: 'fail',
          detail: `learn-ds ${cacheProblem.what}`,
          fix: `Make ${bundleCacheDir} writable; meanwhile every command runs from the sources, about 100 ms slower.`,
        }
      : { name: 'Start-up cache', status: 'ok', detail: `${bundleCacheDir} (writable)` },
  );
  return results;
}
