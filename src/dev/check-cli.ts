/**
 * `npm run check -- [id…] [--changed [--base REV]] [--seeds N] [--from S] [--jobs N] [--no-runs] [--no-typecheck]`
 * Proves exercises against every rule (rules.ts) and prints, per exercise, each broken rule with
 * its fix. Exit code 0 when every rule holds, 1 otherwise (2 for a usage error).
 */
import chalk from 'chalk';
import { Command, InvalidArgumentError } from 'commander';
import { exerciseFolders } from '../catalog/catalog.ts';
import { exercisesDir, packageRoot } from '../package-paths.ts';
import { changedPaths, touchedExercises } from './changed.ts';
import { checkExercises, type ExerciseReport } from './check.ts';
import { rulesMarkdown } from './rules.ts';

const positive = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a whole number ≥ 1`);
  return n;
};

function print(report: ExerciseReport): void {
  const time = `${(report.ms / 1000).toFixed(1)} s`;
  if (report.findings.length === 0) {
    console.log(`${chalk.green('✓')} ${chalk.bold(report.id)}  ${chalk.dim(`${report.ran}; ${time}`)}`);
    return;
  }
  const n = report.findings.length;
  console.log(`${chalk.red('✗')} ${chalk.bold(report.id)}  ${n} problem${n === 1 ? '' : 's'} ${chalk.dim(`(${report.ran}; ${time})`)}`);
  for (const f of report.findings) {
    console.log(`  ${chalk.red(f.rule)}: ${f.problem}`);
    console.log(`    ${chalk.cyan('fix:')} ${f.fix}`);
  }
}

const program = new Command('check')
  .description('prove exercises: every rule of an exercise, with the fix for each one broken')
  .argument('[ids...]', 'exercises to check (default: every exercise)')
  .option('--changed', 'only the exercises a git diff touches (shared harness or simulator code: all)')
  .option('--base <rev>', 'with --changed: diff against this revision instead of HEAD')
  .option('--seeds <n>', 'run the reference and every mutant on seeds 1..n (a sweep)', positive('--seeds'))
  .option('--from <seed>', 'start the seeds at this one instead of 1 (learners get random seeds)', positive('--from'))
  .option('--jobs <n>', 'exercises proven side by side', positive('--jobs'))
  .option('--no-runs', 'check the files and types only, without running any suite')
  .option('--no-typecheck', 'leave out the type-check')
  .option('--rules', 'print the rules (markdown) and stop')
  .action(async (ids: string[], opts: { changed?: boolean; base?: string; seeds?: number; from?: number; jobs?: number; runs: boolean; typecheck: boolean; rules?: boolean }) => {
    if (opts.rules) {
      console.log(rulesMarkdown());
      return;
    }
    const folders = exerciseFolders(exercisesDir);
    let names = ids.length > 0 ? ids : folders;
    const unknown = ids.filter((id) => !folders.includes(id));
    if (unknown.length > 0) program.error(`no exercise ${unknown.map((u) => `"${u}"`).join(', ')} in exercises/`, { exitCode: 2 });
    if (opts.changed) {
      const touched = touchedExercises(changedPaths(packageRoot, opts.base));
      names = touched === 'all' ? names : names.filter((n) => touched.has(n));
      const why = touched === 'all' ? 'shared code changed: every exercise' : `${names.length} touched`;
      console.log(chalk.dim(`changed since ${opts.base ?? 'HEAD'}: ${why}`));
      if (names.length === 0) return;
    }
    const start = performance.now();
    const reports = await checkExercises(names, { seeds: opts.seeds, ...(opts.from === undefined ? {} : { from: opts.from }), jobs: opts.jobs, runs: opts.runs, typecheck: opts.typecheck, onReport: print });
    const broken = reports.filter((r) => r.findings.length > 0);
    const total = `${((performance.now() - start) / 1000).toFixed(1)} s`;
    console.log(
      broken.length === 0
        ? chalk.green(`${reports.length} exercise${reports.length === 1 ? '' : 's'} proven in ${total}`)
        : chalk.red(`${broken.length} of ${reports.length} exercises break a rule (${broken.map((b) => b.id).join(', ')}); ${total}`),
    );
    process.exitCode = broken.length === 0 ? 0 : 1;
  });

await program.parseAsync();
