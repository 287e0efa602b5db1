/**
 * A Vite plugin of hidden runs: learner code (the file under test, and every file of theirs it
 * imports, however deep) may not import learn-ds's reference solutions, hidden tests or mutants,
 * by relative or absolute path (own-files.ts says which files those are). The file under test
 * itself may be one of them: the project's self-tests verify references and mutants that way.
 */
import { existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, relative } from 'node:path';
import type { Plugin } from 'vite';
import { ENV } from './protocol.ts';
import { isLearnDsCode, ownFileKind, realOrSame, refusedImport } from './own-files.ts';

/** An error for the learner, shown as written (the subject loader prefixes "could not be loaded"). */
export class ImportRefused extends Error {
  override name = 'ImportRefused';
}

const fileOf = (id: string) => id.split('?')[0]!;

/**
 * Refusals of the current run, for the reporter (same process): a refused dynamic import may
 * surface in a test only as a promise that never settles in virtual time, far from its cause.
 */
export function refusedImports(): string[] {
  const store = globalThis as { [key: symbol]: string[] | undefined };
  return (store[Symbol.for('learn-ds.refused-imports')] ??= []);
}

/**
 * Packages learner code imported, in this process's runs so far: a package keeps its state from
 * one run to the next in a worker thread kept for another run, so the warm child then gives every
 * run a new thread (prestarted-pool.ts), unless the threads preload that package for the suites
 * anyway (fast-check, its global configuration put back before each run).
 */
export function learnerPackages(): Set<string> {
  const store = globalThis as { [key: symbol]: Set<string> | undefined };
  return (store[Symbol.for('learn-ds.learner-packages')] ??= new Set());
}

export function importGuard(): Plugin {
  return {
    name: 'learn-ds-import-guard',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer || source.startsWith('\0') || importer.startsWith('\0') || source.startsWith('node:')) return null;
      const from = fileOf(importer);
      // vitest resolves a dynamic import by absolute path as if from its root (index.html, no such
      // file): the importer is then unknown, and only references and mutants are refused (vitest
      // itself loads the hidden tests that way).
      const known = existsSync(from);
      if (known && isLearnDsCode(from)) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (resolved && !isBuiltin(source) && (resolved.external || fileOf(resolved.id).includes('/node_modules/'))) learnerPackages().add(source);
      if (!resolved || resolved.external) return resolved;
      const target = fileOf(resolved.id);
      const subject = process.env[ENV.subject];
      if (subject && realOrSame(target) === realOrSame(subject)) return resolved;
      // A reference that builds on earlier exercises (kv-store) imports their references beside it.
      if (subject && ownFileKind(subject) === 'reference solution' && ownFileKind(target) === 'reference solution') return resolved;
      if (!known && ownFileKind(target) === 'hidden tests') return resolved;
      const shown = !known ? 'your code' : subject ? relative(dirname(subject), from) || from : from;
      const why = refusedImport(shown, source, target);
      if (why) {
        if (!refusedImports().includes(why)) refusedImports().push(why);
        throw new ImportRefused(why);
      }
      return resolved;
    },
  };
}
