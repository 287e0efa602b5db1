/**
 * Mutants: plausible wrong solutions of an exercise, one classic mistake each (exercises/README.md).
 * Most are stored as a unified diff against the reference (`mutants/<name>.patch`), so the mistake
 * is the whole file and a change to the reference that breaks it is noticed; a wrong solution that
 * is structurally different stays a full file (`mutants/<name>.ts`). Either way a mutant starts
 * with its header:
 *
 *   // mistake: what is wrong, in a sentence
 *   // expect: text a failing check's name or message must contain
 *
 * A patch is applied to the reference in memory and the result written to a scratch folder, where
 * verify judges it as it would a learner's file (it imports `learn-ds/sim` as the reference does).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { applyPatch, createTwoFilesPatch, parsePatch, type StructuredPatch } from 'diff';
import { packageRoot } from '../package-paths.ts';

/** What the mutant tools need to know about an exercise. */
export interface MutantHost {
  id: string;
  /** exercises/<id> */
  dir: string;
  /** solutions/<id>.ts */
  solutionPath: string;
}

interface MutantBase {
  name: string;
  /** The file that defines it: mutants/<name>.patch or mutants/<name>.ts. */
  source: string;
  kind: 'patch' | 'file';
}

/** A mutant ready to judge. */
export interface Mutant extends MutantBase {
  mistake: string;
  expect: string;
  /** The wrong solution as a file: the .ts itself, or the patched reference in a scratch folder. */
  file: string;
}

/** A mutant that cannot be judged: its header is missing, or its patch no longer applies. */
export interface BrokenMutant extends MutantBase {
  problem: string;
}

export const MISTAKE = '// mistake: ';
export const EXPECT = '// expect: ';

export interface MutantHeader {
  mistake: string;
  expect: string;
}

/**
 * The header of a mutant, its first lines: `// mistake: …` (which may go on over further `//`
 * lines), then `// expect: …`. Throws what is wrong with it, naming `shownAs`.
 */
export function parseMutantHeader(source: string, shownAs: string): MutantHeader {
  const lines = source.split('\n');
  const expectAt = lines.findIndex((l) => l.startsWith(EXPECT));
  const comments = expectAt > 0 && lines.slice(0, expectAt).every((l) => l.startsWith('//'));
  const mistake = comments && lines[0]!.startsWith(MISTAKE)
    ? [lines[0]!.slice(MISTAKE.length), ...lines.slice(1, expectAt).map((l) => l.slice(2))].map((l) => l.trim()).join(' ').trim()
    : '';
  const expect = expectAt > 0 ? lines[expectAt]!.slice(EXPECT.length).trim() : '';
  if (!mistake || !expect) {
    throw new Error(`${shownAs}: a mutant starts with a "${MISTAKE}<what is wrong>" line, then an "${EXPECT}<text its failure must contain>" line`);
  }
  return { mistake, expect };
}

/** A mutant's text split into its header lines (verbatim, with their line ends) and the rest. */
export function splitHeader(source: string): { header: string; body: string } {
  const lines = source.split('\n');
  const expectAt = lines.findIndex((l) => l.startsWith(EXPECT));
  const header = lines.slice(0, expectAt + 1).join('\n') + '\n';
  return { header, body: lines.slice(expectAt + 1).join('\n') };
}

/** The diff of a patch mutant: everything from its first `--- ` line. */
function diffPart(text: string): string {
  const at = text.search(/^--- /m);
  return at < 0 ? '' : text.slice(at);
}

/** How a patch mutant names the reference in its `---`/`+++` lines (git's a/ b/ prefixes). */
export function referenceLabel(id: string): { old: string; new: string } {
  return { old: `a/solutions/${id}.ts`, new: `b/solutions/${id}.ts` };
}

/** The text of `mutants/<name>.patch` that turns `reference` into `wrong`. */
export function createMutantPatch(id: string, header: string, reference: string, wrong: string): string {
  const label = referenceLabel(id);
  const diff = createTwoFilesPatch(label.old, label.new, reference, wrong, undefined, undefined, { context: 3 });
  // jsdiff starts with a line of "=" (an Index separator); a patch needs only the ---/+++ lines.
  return header + diffPart(diff);
}

/** Why a hunk does not apply: the first line of it that the reference no longer has. */
function hunkProblem(hunk: StructuredPatch['hunks'][number], reference: string[]): string {
  const expected = hunk.lines.filter((l) => l[0] === ' ' || l[0] === '-').map((l) => l.slice(1));
  const at = hunk.oldStart - 1;
  const differs = expected.findIndex((line, i) => reference[at + i] !== line);
  const where = `hunk @@ -${hunk.oldStart},${hunk.oldLines} @@`;
  if (differs < 0) return where;
  const now = reference[at + differs];
  return `${where}: line ${at + differs + 1} should read ${JSON.stringify(expected[differs])} but the reference has ${now === undefined ? 'no such line' : JSON.stringify(now)}`;
}

/**
 * Applies a patch mutant's text to the reference: the wrong solution's source, or an error that
 * names the mutant, the reference and the first hunk that no longer matches.
 */
export function applyMutantPatch(patchText: string, reference: string, shown: { patch: string; reference: string }): string {
  const diff = diffPart(patchText);
  const id = basename(shown.reference).replace(/\.ts$/, '');
  const fix = `run \`npm run mutants -- rebase ${id}\` (it merges each mutant's change into the changed reference), or make it again by hand with \`npm run mutants -- show ${id} <name>\`, an edit, and \`save\``;
  if (!diff) throw new Error(`${shown.patch}: no diff after the header (a patch mutant is its header, then a unified diff starting with "--- a/${shown.reference}")`);
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(diff);
  } catch (error) {
    throw new Error(`${shown.patch}: not a unified diff: ${(error as Error).message}`);
  }
  if (patches.length !== 1 || patches[0]!.hunks.length === 0) {
    throw new Error(`${shown.patch}: a patch mutant changes one file, the reference, with at least one hunk`);
  }
  const result = applyPatch(reference, patches[0]!);
  if (result !== false) return result;
  const lines = reference.split('\n');
  const failing = patches[0]!.hunks.map((h) => hunkProblem(h, lines)).find((p) => p.includes('should read')) ?? 'a hunk';
  throw new Error(`${shown.patch} no longer applies to ${shown.reference}: ${failing}. Fix: ${fix}`);
}

/** Where patched mutants are written: one folder per content, so runs that share it never clash. */
function scratchFile(id: string, name: string, source: string, solutions: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const root = join(tmpdir(), `learn-ds-mutants-${process.getuid?.() ?? 'user'}`);
  const file = join(root, id, hash, `${name}.ts`);
  linkNodeModules(root);
  if (existsSync(file)) {
    copySiblings(source, solutions, dirname(file));
    return file;
  }
  mkdirSync(dirname(file), { recursive: true });
  // An ES module, as the reference is in the package (the type checker reads this).
  writeAtomically(join(root, 'package.json'), '{ "type": "module" }\n');
  copySiblings(source, solutions, dirname(file));
  writeAtomically(file, source);
  return file;
}

/**
 * A reference that builds on earlier exercises imports their references beside it
 * (`./quorum-kv.ts` in kv-store): a patched mutant gets copies of them in its scratch folder.
 */
function copySiblings(source: string, solutions: string, folder: string): void {
  for (const [, name] of source.matchAll(/from '\.\/([a-z0-9-]+\.ts)'/g)) {
    const reference = join(solutions, name!);
    if (existsSync(reference)) writeAtomically(join(folder, name!), readFileSync(reference, 'utf8'));
  }
}

/**
 * A learner's file may import a package learn-ds brings by its bare name (fast-check, in
 * property-tests): from the scratch folder it resolves through a link to the package's
 * node_modules, for the type checker as in a hidden run. A link already there (made by another
 * run, or another clone) is kept unless it leads nowhere.
 */
function linkNodeModules(root: string): void {
  const link = join(root, 'node_modules');
  if (existsSync(link)) return;
  try {
    mkdirSync(root, { recursive: true });
    rmSync(link, { force: true }); // a link that leads nowhere
    symlinkSync(join(packageRoot, 'node_modules'), link, 'junction');
  } catch {
    // made at the same moment by another run
  }
}

/** Written beside and renamed into place: several processes may write the same file at once. */
function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** A mutant's source, after its patch is applied (without its header: the reference's own lines). */
export function mutantSource(exercise: MutantHost, sourcePath: string): string {
  const text = readFileSync(sourcePath, 'utf8');
  if (sourcePath.endsWith('.ts')) return text;
  return applyMutantPatch(text, readFileSync(exercise.solutionPath, 'utf8'), {
    patch: `exercises/${exercise.id}/mutants/${basename(sourcePath)}`,
    reference: `solutions/${exercise.id}.ts`,
  });
}

/** Every mutant of an exercise, by name; those that cannot be judged say why. */
export function loadMutants(exercise: MutantHost): Array<Mutant | BrokenMutant> {
  const dir = join(exercise.dir, 'mutants');
  if (!existsSync(dir)) return [];
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') || f.endsWith('.patch'))
    .sort();
  return entries.map((f): Mutant | BrokenMutant => {
    const kind = f.endsWith('.patch') ? 'patch' : 'file';
    const name = f.replace(/\.(ts|patch)$/, '');
    const source = join(dir, f);
    const shown = `exercises/${exercise.id}/mutants/${f}`;
    try {
      if (entries.includes(`${name}.ts`) && entries.includes(`${name}.patch`)) {
        throw new Error(`${shown}: both ${name}.ts and ${name}.patch exist; keep one`);
      }
      const header = parseMutantHeader(readFileSync(source, 'utf8'), shown);
      const file = kind === 'file' ? source : scratchFile(exercise.id, name, mutantSource(exercise, source), dirname(exercise.solutionPath));
      return { name, source, kind, ...header, file };
    } catch (error) {
      return { name, source, kind, problem: (error as Error).message };
    }
  });
}

export function isBroken<T extends object>(mutant: T | BrokenMutant): mutant is BrokenMutant {
  return 'problem' in mutant;
}
