/**
 * Checks the learner's file before any test runs, so the commonest problems get a precise,
 * immediate answer instead of a wall of failed tests: no file, an empty or binary file, and a
 * syntax error (with file:line:col).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Message } from 'esbuild';

export type PreflightProblem =
  | { kind: 'missing'; message: string }
  | { kind: 'not-a-file'; message: string }
  | { kind: 'empty'; message: string }
  | { kind: 'binary'; message: string }
  | { kind: 'syntax'; message: string; line: number; column: number; lineText: string };

/** Larger than any exercise needs; protects the verifier from a file that is not source code. */
const MAX_BYTES = 2_000_000;

export function preflight(file: string, shownAs = file): Promise<PreflightProblem | null> {
  return preflightFile(file, shownAs, true);
}

async function preflightFile(file: string, shownAs: string, parse: boolean): Promise<PreflightProblem | null> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { kind: 'not-a-file', message: `${shownAs} is not a file` };
    size = info.size;
  } catch {
    return { kind: 'missing', message: `${shownAs} does not exist` };
  }
  if (size > MAX_BYTES) return { kind: 'binary', message: `${shownAs} is ${size} bytes: too large to be an exercise file` };
  const bytes = await readFile(file);
  return checkSource(bytes, shownAs, parse);
}

/**
 * Why a file cannot be an exercise file at all (a folder, an empty, binary or huge file), without
 * parsing it: `verify` answers these as usage errors, like a missing file, before any run.
 */
export async function unusableFile(file: string, shownAs = file): Promise<string | undefined> {
  const problem = await preflightFile(file, shownAs, false);
  return problem && problem.kind !== 'syntax' && problem.kind !== 'missing' ? problem.message : undefined;
}

/** The pure part of preflight: judges a file's bytes. */
export async function checkSource(bytes: Uint8Array, shownAs: string, parse = true): Promise<PreflightProblem | null> {
  if (bytes.includes(0)) return { kind: 'binary', message: `${shownAs} is a binary file, not TypeScript source` };
  const source = new TextDecoder('utf-8').decode(bytes);
  if (source.trim() === '') return { kind: 'empty', message: `${shownAs} is empty` };
  if (!parse) return null;
  // Loaded when a file is parsed: a `verify` whose daemon parses the file never loads esbuild.
  const { transform } = await import('esbuild');
  try {
    await transform(source, { loader: 'ts', sourcefile: shownAs, format: 'esm', logLevel: 'silent' });
    return null;
  } catch (error) {
    const first = (error as { errors?: Message[] }).errors?.[0];
    const at = first?.location;
    if (!first || !at) throw error;
    return {
      kind: 'syntax',
      message: `${shownAs}:${at.line}:${at.column + 1}: syntax error: ${first.text}`,
      line: at.line,
      column: at.column + 1,
      lineText: at.lineText,
    };
  }
}
