/**
 * The typecheck rule: an exercise's starter, reference, hidden suite, demo and mutants (patches
 * applied) type-check under the project's tsconfig. One TypeScript program for all the exercises
 * asked about, so that checking many costs little more than checking one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Exercise } from '../catalog/catalog.ts';
import { packageRoot } from '../package-paths.ts';
import { isBroken, loadMutants } from './mutants.ts';
import type { Finding } from './rules.ts';

/** The last program built (a ts.Program), reused by the next. */
let previous: unknown;

/** Errors shown per file: the first few say enough. */
const SHOWN_PER_FILE = 3;

function filesOf(exercise: Exercise): Array<{ file: string; shown: string }> {
  const own = (file: string) => ({ file, shown: relative(packageRoot, file) });
  const tests = join(exercise.dir, 'tests');
  const files = [exercise.starterPath, exercise.solutionPath].map(own);
  if (existsSync(tests)) files.push(...readdirSync(tests).filter((f) => f.endsWith('.ts')).map((f) => own(join(tests, f))));
  if (exercise.demoPath) files.push(own(exercise.demoPath));
  for (const m of loadMutants(exercise)) {
    if (!isBroken(m)) files.push({ file: m.file, shown: relative(packageRoot, m.source) });
  }
  return files;
}

export async function typecheckFindings(exercises: readonly Exercise[]): Promise<Map<string, Finding[]>> {
  return (await typecheck(exercises, false)).byExercise;
}

/**
 * The whole project as `npm run typecheck` (tsc --noEmit) sees it, and the typecheck rule of every
 * exercise given (its mutants with their patches applied), in one program: the self-tests' one
 * type-check. `project` lists the errors in files of no exercise given, as tsc prints them.
 */
export async function typecheckProject(exercises: readonly Exercise[]): Promise<{ byExercise: Map<string, Finding[]>; project: string[] }> {
  return typecheck(exercises, true);
}

async function typecheck(exercises: readonly Exercise[], withProject: boolean): Promise<{ byExercise: Map<string, Finding[]>; project: string[] }> {
  const ts = (await import('typescript')).default;
  const config = ts.getParsedCommandLineOfConfigFile(join(packageRoot, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const byExercise = new Map(exercises.map((e) => [e.id, filesOf(e)]));
  const exerciseFiles = [...byExercise.values()].flat().map((f) => f.file);
  const rootNames = [...new Set([...(withProject ? config.fileNames : []), ...exerciseFiles])];
  // The previous program's parsed files are reused: a type-check of one exercise after another
  // costs only what is new.
  const program = ts.createProgram({ rootNames, options: config.options, oldProgram: previous as never });
  previous = program;
  const result = new Map<string, Finding[]>();
  for (const [id, files] of byExercise) {
    const findings: Finding[] = [];
    for (const { file, shown } of files) {
      const source = program.getSourceFile(file);
      if (!source) continue;
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      for (const d of diagnostics.slice(0, SHOWN_PER_FILE)) {
        const at = d.start === undefined ? '' : `:${source.getLineAndCharacterOfPosition(d.start).line + 1}`;
        findings.push({
          rule: 'typecheck',
          problem: `${shown}${at}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
          fix: shown.endsWith('.patch') ? 'the patched reference must type-check: correct the patch (npm run mutants -- show/save)' : 'correct the type error (npm run typecheck shows them all)',
        });
      }
      if (diagnostics.length > SHOWN_PER_FILE) {
        findings.push({ rule: 'typecheck', problem: `${shown}: ${diagnostics.length - SHOWN_PER_FILE} more type errors`, fix: 'npm run typecheck shows them all' });
      }
    }
    result.set(id, findings);
  }
  if (!withProject) return { byExercise: result, project: [] };
  const ofExercises = new Set(exerciseFiles.map((f) => program.getSourceFile(f)?.fileName));
  const project = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => !d.file || !ofExercises.has(d.file.fileName))
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      if (!d.file || d.start === undefined) return `error TS${d.code}: ${text}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${relative(packageRoot, d.file.fileName)}:${line + 1}:${character + 1} - error TS${d.code}: ${text}`;
    });
  return { byExercise: result, project };
}
