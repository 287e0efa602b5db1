/**
 * `npm run mutants -- …`: tools for an exercise's mutants (exercises/README.md).
 *   convert [--write] [id…]          full-file mutants whose mistake is local become patches
 *   save <id> <name> <file>          writes mutants/<name>.patch from a wrong copy of the reference
 *                                    (the header is taken from <file>, or from the mutant it replaces)
 *   show <id> <name>                 prints the mutant's source (a patch applied to the reference)
 *   rebase <id> [--from REV]         patches that no longer apply (the reference changed since REV,
 *                                    HEAD by default) are re-made by a three-way merge of the change
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadCatalog, type Exercise } from '../catalog/catalog.ts';
import { packageRoot } from '../package-paths.ts';
import { convertMutant } from './convert-mutants.ts';
import { applyMutantPatch, createMutantPatch, EXPECT, MISTAKE, mutantSource, parseMutantHeader, splitHeader } from './mutants.ts';

const shown = (path: string) => relative(packageRoot, path);

function exerciseNamed(id: string | undefined): Exercise {
  const exercise = id ? loadCatalog().byId.get(id) : undefined;
  if (!exercise) throw new Error(`no exercise "${id ?? ''}" in exercises/`);
  return exercise;
}

async function convert(args: string[]): Promise<void> {
  const write = args.includes('--write');
  const ids = args.filter((a) => !a.startsWith('--'));
  const exercises = ids.length ? ids.map(exerciseNamed) : loadCatalog().exercises;
  let patches = 0;
  let files = 0;
  for (const exercise of exercises) {
    const reference = readFileSync(exercise.solutionPath, 'utf8');
    const dir = join(exercise.dir, 'mutants');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
      const path = join(dir, f);
      const result = await convertMutant(exercise.id, readFileSync(path, 'utf8'), reference, shown(path));
      if (result.kind === 'file') {
        files++;
        console.log(`keep   ${shown(path)}: ${result.reason}`);
        continue;
      }
      patches++;
      console.log(`patch  ${shown(path)}: ${result.changed} of ${result.of} lines`);
      if (write) {
        writeFileSync(path.replace(/\.ts$/, '.patch'), result.text);
        rmSync(path);
      }
    }
  }
  console.log(`${patches} to patches, ${files} kept as files${write ? '' : ' (dry run: --write to convert)'}`);
}

function save([id, name, from]: string[]): void {
  const exercise = exerciseNamed(id);
  if (!name || !from) throw new Error('usage: npm run mutants -- save <id> <name> <wrong-file.ts>');
  const text = readFileSync(from, 'utf8');
  const target = join(exercise.dir, 'mutants', `${name}.patch`);
  // The header comes with the wrong file, or from the mutant being re-made.
  const headed = text.startsWith(MISTAKE) ? text : existsSync(target) ? `${splitHeader(readFileSync(target, 'utf8')).header}${text}` : text;
  parseMutantHeader(headed, from);
  const { header, body } = splitHeader(headed);
  writeFileSync(target, createMutantPatch(exercise.id, header, readFileSync(exercise.solutionPath, 'utf8'), body));
  const old = join(exercise.dir, 'mutants', `${name}.ts`);
  if (existsSync(old)) rmSync(old);
  console.log(`wrote ${shown(target)}`);
}

function show([id, name]: string[]): void {
  const exercise = exerciseNamed(id);
  const base = join(exercise.dir, 'mutants', name ?? '');
  const path = [`${base}.patch`, `${base}.ts`].find((p) => existsSync(p));
  if (!path) throw new Error(`exercise ${exercise.id} has no mutant "${name ?? ''}"`);
  process.stdout.write(`${splitHeader(readFileSync(path, 'utf8')).header}${mutantSource(exercise, path).replace(/^(\/\/ (mistake|expect): .*\n)+/, '')}`);
}

/**
 * The reference changed under its patches: each one that no longer applies is applied to the
 * reference as it was at REV, and the mutant's change merged into the new reference (git merge-file).
 */
function rebase(args: string[]): void {
  const fromAt = args.indexOf('--from');
  const rev = fromAt >= 0 ? args[fromAt + 1] : 'HEAD';
  const exercise = exerciseNamed(args.find((a, i) => !a.startsWith('--') && (fromAt < 0 || i !== fromAt + 1)));
  const now = readFileSync(exercise.solutionPath, 'utf8');
  const before = execFileSync('git', ['show', `${rev}:solutions/${exercise.id}.ts`], { cwd: packageRoot, encoding: 'utf8' });
  const dir = join(exercise.dir, 'mutants');
  const scratch = mkdtempSync(join(tmpdir(), 'learn-ds-rebase-'));
  try {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.patch')).sort()) {
      const path = join(dir, f);
      const text = readFileSync(path, 'utf8');
      const shownRef = { patch: shown(path), reference: `solutions/${exercise.id}.ts` };
      try {
        applyMutantPatch(text, now, shownRef);
        continue;
      } catch {
        // re-made below
      }
      const files = { ours: join(scratch, 'mutant.ts'), base: join(scratch, 'before.ts'), theirs: join(scratch, 'now.ts') };
      writeFileSync(files.ours, applyMutantPatch(text, before, { ...shownRef, reference: `${rev}:${shownRef.reference}` }));
      writeFileSync(files.base, before);
      writeFileSync(files.theirs, now);
      let merged: string;
      try {
        merged = execFileSync('git', ['merge-file', '-p', files.ours, files.base, files.theirs], { encoding: 'utf8' });
      } catch {
        console.log(`conflict ${shown(path)}: its change and the reference's overlap; edit \`npm run mutants -- show ${exercise.id} ${f.replace(/\.patch$/, '')}\` by hand and save it`);
        continue;
      }
      writeFileSync(path, createMutantPatch(exercise.id, splitHeader(text).header, now, merged));
      console.log(`rebased ${shown(path)}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => void | Promise<void>> = { convert, save, show, rebase };
try {
  const run = commands[command ?? ''];
  if (!run) throw new Error(`usage: npm run mutants -- convert [--write] [id…] | save <id> <name> <file> | show <id> <name> | rebase <id> [--from REV]\n(mutants start with "${MISTAKE}…" and "${EXPECT}…")`);
  await run(rest);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
