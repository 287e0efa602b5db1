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
    throw new SubjectError(`your file could not be loaded: ${describeThrown(error)}`, { cause: error });
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
