/**
 * learn-ds's own answers and checks: its reference solutions, and each exercise's hidden tests and
 * mutants. A learner's file may not be one of them (`--file`), nor import one of them, directly or
 * through other files of theirs: passing by re-exporting the reference teaches nothing.
 */
import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { learnDsCommand } from '../command.ts';
import { packageRoot } from '../package-paths.ts';

/** What `file` (an absolute path) is among learn-ds's own files, or undefined if it is none of them. */
export function ownFileKind(file: string, root = packageRoot): 'reference solution' | 'hidden tests' | 'mutants' | undefined {
  const parts = relative(realOrSame(root), realOrSame(file)).split(sep);
  if (parts[0] === 'solutions' && parts.length > 1) return 'reference solution';
  if (parts[0] === 'exercises' && parts.length > 3 && parts[2] === 'tests') return 'hidden tests';
  if (parts[0] === 'exercises' && parts.length > 3 && parts[2] === 'mutants') return 'mutants';
  return undefined;
}

/** Code that learn-ds runs for itself (its sources, hidden tests, packages), as opposed to a learner's. */
export function isLearnDsCode(file: string, root = packageRoot): boolean {
  if (file.includes(`${sep}node_modules${sep}`)) return true;
  const parts = relative(realOrSame(root), realOrSame(file)).split(sep);
  // In an exercise's folder everything but its mutants is learn-ds's (tests, demo, vitest's root).
  return parts[0] === 'src' || (parts[0] === 'exercises' && parts.length > 2 && parts[2] !== 'mutants');
}

export function realOrSame(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Why `--file` cannot name `file` (it is one of learn-ds's own), or undefined. learn-ds's authors
 * try references and mutants by hand with LEARN_DS_AUTHOR=1 (the self-tests call verify() directly).
 */
export function refusedSubject(file: string, shown: string): string | undefined {
  const kind = ownFileKind(file);
  if (!kind || process.env.LEARN_DS_AUTHOR === '1') return undefined;
  const what = { 'reference solution': "learn-ds's own reference solution", 'hidden tests': "one of learn-ds's hidden tests", mutants: "one of learn-ds's wrong solutions (mutants)" }[kind];
  return `${shown} is ${what}, not your code: verify judges the file you write ` +
    `(the one \`${learnDsCommand()} start\` created for you, or any file of yours with --file).`;
}

/** The message when learner code `importer` imports learn-ds's own `target`. */
export function refusedImport(importer: string, source: string, target: string): string | undefined {
  const kind = ownFileKind(target);
  if (!kind) return undefined;
  return `${importer} imports "${source}", which is learn-ds's ${kind === 'mutants' ? 'collection of wrong solutions' : kind}: ` +
    'your file must do the work itself. Remove that import and write the code.';
}
