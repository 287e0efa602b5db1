/**
 * Loads the learner's file for a hidden suite. Hidden tests import the learner's exports from
 * here, typed by the reference solution, and never from a fixed path: the verifier names the file.
 */
import { ENV } from '../protocol.ts';
import { describeThrown } from './failure.ts';

/** The learner's file could not be used at all; the verifier shows this once, not per test. */
export class SubjectError extends Error {
  override name = 'SubjectError';
}

export async function loadSubject<T>(): Promise<T> {
  const file = process.env[ENV.subject];
  if (!file) throw new SubjectError(`no learner file was given (${ENV.subject} is not set)`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
  } catch (error) {
    throw new SubjectError(`your file could not be loaded: ${describeThrown(error)}${missingExercise(error)}`, { cause: error });
  }
  const wanted = (process.env[ENV.exports] ?? '').split(',').filter(Boolean);
  const missing = wanted.filter((name) => mod[name] === undefined);
  if (missing.length > 0) {
    const names = missing.map((n) => `\`${n}\``).join(', ');
    throw new SubjectError(
      `your file does not export ${names}; add \`export\` in front of the declaration` +
        (missing.length > 1 ? 's' : ''),
    );
  }
  return mod as T;
}

/**
 * A learner file that builds on an earlier exercise (kv-store imports quorum-kv.ts) before that
 * exercise's file exists: the import names the exercise (a workspace file is named after its id).
 */
function missingExercise(error: unknown): string {
  const found = /Cannot find module '((?:\.\.?\/)+(?:[^'/]+\/)*([a-z0-9]+(?:-[a-z0-9]+)*)\.ts)'/.exec(error instanceof Error ? error.message : '');
  if (!found) return '';
  return `. ${found[1]} does not exist yet: if it is an earlier exercise your file builds on, start that one first (\`learn-ds start ${found[2]}\`) and finish it`;
}
