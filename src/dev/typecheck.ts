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
  const ts = (await import('typescript')).default;
  const config = ts.getParsedCommandLineOfConfigFile(join(packageRoot, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const byExercise = new Map(exercises.map((e) => [e.id, filesOf(e)]));
  // The previous program's parsed files are reused: a type-check of one exercise after another
  // costs only what is new (the self-tests check each exercise on its own).
  const program = ts.createProgram({ rootNames: [...byExercise.values()].flat().map((f) => f.file), options: config.options, oldProgram: previous as never });
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
  return result;
}
