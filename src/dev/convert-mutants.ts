/**
 * Turns a full-file mutant into a patch against its reference, where its mistake is local.
 *
 * Mutants were written as copies of the reference, often without its doc comments. The patch keeps
 * the reference's comments (a deleted comment line is kept), so that it shows the mistake and
 * nothing else, and is accepted only if the patched reference is the same program as the mutant:
 * both compiled by esbuild (which drops comments, types and layout) give the same JavaScript.
 */
import { transform } from 'esbuild';
import { diffLines } from 'diff';
import { applyMutantPatch, createMutantPatch, parseMutantHeader, splitHeader } from './mutants.ts';

/** Past this share of the reference's lines changed, a mutant is a different solution: it stays a file. */
export const MAX_CHANGED_SHARE = 0.35;

const isCommentOrBlank = (line: string) => /^\s*($|\/\/|\/\*|\*)/.test(line);

function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The reference with the mutant's code changes and none of its comment deletions. */
export function keepReferenceComments(reference: string, wrong: string): string {
  const out: string[] = [];
  for (const change of diffLines(reference, wrong)) {
    const lines = linesOf(change.value);
    if (change.removed) out.push(...lines.filter(isCommentOrBlank));
    else out.push(...lines);
  }
  return `${out.join('\n')}\n`;
}

async function compiled(source: string): Promise<string> {
  return (await transform(source, { loader: 'ts', format: 'esm', minifyWhitespace: true, logLevel: 'silent' })).code;
}

/** Whether two sources are the same program once comments, types and layout are gone. */
export async function sameProgram(a: string, b: string): Promise<boolean> {
  return (await compiled(a)) === (await compiled(b));
}

export type Conversion =
  | { kind: 'patch'; text: string; changed: number; of: number }
  | { kind: 'file'; reason: string; changed: number; of: number };

function changedLines(reference: string, wrong: string): number {
  return diffLines(reference, wrong)
    .filter((c) => c.added || c.removed)
    .reduce((n, c) => n + linesOf(c.value).length, 0);
}

/** What a full-file mutant becomes: a patch (its text) or, with the reason, a file still. */
export async function convertMutant(id: string, mutantText: string, reference: string, shownAs: string): Promise<Conversion> {
  parseMutantHeader(mutantText, shownAs);
  const split = splitHeader(mutantText);
  // A blank line between the header and the code is layout, not part of the mistake.
  const body = reference.startsWith('\n') ? split.body : split.body.replace(/^\n+/, '');
  const header = split.header;
  const patched = keepReferenceComments(reference, body);
  const of = linesOf(reference).length;
  const changed = changedLines(reference, patched);
  if (!(await sameProgram(patched, body))) {
    return { kind: 'file', reason: 'keeping the reference comments changes the program', changed, of };
  }
  if (changed > MAX_CHANGED_SHARE * of) {
    return { kind: 'file', reason: `${changed} of ${of} lines differ: a different solution, not a local mistake`, changed, of };
  }
  const text = createMutantPatch(id, header, reference, patched);
  // The patch must give back exactly the program it was made from.
  const applied = applyMutantPatch(text, reference, { patch: shownAs, reference: `solutions/${id}.ts` });
  if (applied !== patched) return { kind: 'file', reason: 'the patch does not give the mutant back', changed, of };
  return { kind: 'patch', text, changed, of };
}
