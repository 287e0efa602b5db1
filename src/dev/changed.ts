/**
 * `check --changed`: which exercises a change touches. An exercise's own files touch it; learn-ds's
 * shared judging code (the harness, the simulator, the verifier, the catalog, these rules, the
 * dependencies) touches every exercise; anything else (the CLI, docs, other tests) touches none.
 */
import { execFileSync } from 'node:child_process';

/** Paths (from the package root) whose change may alter any exercise's verdicts or rules. */
const SHARED = [/^src\/(verify|sim|catalog|dev)\//, /^src\/package-paths\.ts$/, /^package(-lock)?\.json$/, /^tsconfig\.json$/];

/** The exercises the changed paths touch: their ids, or 'all'. Pure. */
export function touchedExercises(paths: readonly string[]): Set<string> | 'all' {
  const ids = new Set<string>();
  for (const path of paths) {
    if (SHARED.some((re) => re.test(path))) return 'all';
    const own = /^exercises\/([^/]+)\//.exec(path) ?? /^solutions\/([^/]+)\.ts$/.exec(path);
    if (own) ids.add(own[1]!);
  }
  return ids;
}

/** Paths changed against `base` (committed since, staged, unstaged) and files git does not track yet. */
export function changedPaths(root: string, base = 'HEAD'): string[] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...new Set([...git('diff', '--name-only', base), ...git('ls-files', '--others', '--exclude-standard')])];
}
