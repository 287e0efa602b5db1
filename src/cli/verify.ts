/** `verify [id]` (alias `submit`): judge the learner's file with the exercise's hidden suite. */
import { InvalidArgumentError, type Command } from 'commander';
import { style } from '../report/style.ts';
import { nextExerciseId, recordAttempt } from '../workspace/progress.ts';
import { CMD, catalog, print, shown, usageError, type GlobalOptions } from './context.ts';
import { trySave, warnNotSaved } from './save.ts';
import { resolveTarget } from './target.ts';
import { refusedSubject } from '../verify/own-files.ts';
import { spinner, type Spinner } from './spinner.ts';
import { longVerifyNotice } from '../report/progress-bar.ts';
import type { PreflightingRunner } from '../verify/verify.ts';
import { FAULTS_ENV, decodePlan } from '../sim/schedule.ts';
import { replayNotice, watchReplay } from './replay-notice.ts';
import { ENV } from '../verify/protocol.ts';
import { failuresDir, recordFile, recordStamp } from '../report/explain/run-record.ts';
import { dirname } from 'node:path';

export interface VerifyOptions {
  file?: string;
  json?: boolean;
  seed?: number;
  /** Replays a shrunk fault schedule (`2,5@k3f`), as a failing simulated check names it. */
  faults?: string;
  timeout?: number;
  /** false with --no-daemon: a cold run in a new process. */
  daemon?: boolean;
}

function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!(seconds >= 1 && seconds <= 600)) throw new InvalidArgumentError('the timeout is a number of seconds from 1 to 600, e.g. --timeout 30');
  return seconds;
}

function parseFaults(value: string): string {
  if (!decodePlan(value)) throw new InvalidArgumentError('the faults are a plan as a failing check prints it, e.g. --faults 2,5@k3f');
  return value.trim();
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed)) throw new InvalidArgumentError('the seed is a whole number, e.g. --seed 4711');
  return seed;
}

/**
 * Through the warm verifier daemon unless it is turned off (--no-daemon, LEARN_DS_DAEMON=0, CI);
 * the daemon makes the preflight too. On a terminal, one status line: a spinner while vitest starts
 * (the first run after a pause), then a progress bar once a run has gone on for a second (at once
 * for an exercise announced as long). `onSent`: the run is on its way (or is made here).
 */
async function suiteRunner(options: VerifyOptions, long: boolean, onSent: () => void): Promise<{ run: PreflightingRunner | undefined; wait: Spinner | undefined }> {
  // The client is loaded beside the switch that decides whether it is used (it is, unless turned off).
  const [{ daemonEnabled }, client] = await Promise.all([
    import('../verify/daemon/protocol.ts'),
    options.daemon === false ? undefined : import('../verify/daemon/client.ts'),
  ]);
  const wait = options.json ? undefined : spinner({ barAfterMs: long ? 0 : 1_000 });
  if (!client || !daemonEnabled()) {
    wait?.show('Running the hidden tests…', 400);
    onSent();
    return { run: undefined, wait };
  }
  const { daemonVerifier } = client;
  const run = daemonVerifier({
    onWait: (state) =>
      state === 'warm'
        ? wait?.show('Running the hidden tests…', 400)
        : wait?.show(`Starting the verifier (${state === 'starting' ? 'once after a pause' : 'once per exercise'}; later runs are faster)…`),
    onSent,
  });
  return { run, wait };
}

/** Runs verify and returns the exit code: 0 pass, 1 fail, 130 interrupted. */
export async function runVerify(id: string | undefined, options: VerifyOptions, globals: GlobalOptions): Promise<number> {
  const { ws, exercise, file } = await resolveTarget('verify', id, options.file, globals);
  const refused = options.file === undefined ? undefined : refusedSubject(file, options.file);
  if (refused) throw usageError(refused);
  // A folder, or an empty or binary file, is no attempt at all: a usage error like a missing file,
  // with no run, no seed to replay and nothing recorded.
  const unusable = await (await import('../verify/preflight.ts')).unusableFile(file, shown(file));
  if (unusable) {
    throw usageError(options.file === undefined
      ? `${unusable}: your solution goes there (\`${CMD} reset ${exercise.id}\` puts the starter back).`
      : `${unusable}: give --file the TypeScript file of your solution.`);
  }
  if (options.faults !== undefined && options.seed === undefined) {
    throw usageError(`--faults replays the shrunk run of a failing check: give the --seed it printed too, e.g. ${CMD} verify ${exercise.id} --seed 1234 --faults ${options.faults}`);
  }
  // Where the hidden run saves its failing simulated run (learn-ds explain): the environment reaches every runner.
  if (ws) process.env[ENV.failures] = failuresDir(dirname(ws.progressFile));
  else delete process.env[ENV.failures];
  const record = ws ? recordFile(failuresDir(dirname(ws.progressFile)), exercise.id) : undefined;
  const recordBefore = record && recordStamp(record);

  // A shrunk schedule reaches the hidden run through the environment, in a cold run of its own.
  if (options.faults === undefined) delete process.env[FAULTS_ENV];
  else process.env[FAULTS_ENV] = options.faults;
  const replayed = options.faults === undefined ? undefined : watchReplay();
  // An exercise whose checks take long says so before they start (its manifest's longVerify).
  if (exercise.longVerify && !options.json) print(style.dim(longVerifyNotice(exercise.id, exercise.longVerify)));
  // The run's request goes first; what only the report needs (the type check, the renderer, which
  // brings wrap-ansi and string-width) is started once it is on its way, while the daemon runs it.
  let sent!: () => void;
  const requestSent = new Promise<void>((resolve) => (sent = resolve));
  const [{ verify }, runner] = await Promise.all([
    import('../verify/verify.ts'),
    suiteRunner(options.faults === undefined ? options : { ...options, daemon: false }, exercise.longVerify !== undefined, () => sent()),
  ]);
  const judged = verify(
    {
      exercise,
      file,
      shownFile: shown(file),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.timeout === undefined ? {} : { timeoutSeconds: options.timeout }),
      ...(runner.wait ? { onProgress: runner.wait.progress } : {}),
    },
    runner.run,
  ).finally(() => runner.wait?.stop());
  const early = await Promise.race([requestSent.then(() => undefined), judged.catch(() => undefined)]);
  // Beside the hidden tests, never before them: its report comes after the verdict.
  // Warm in the verifier daemon when one is up (not with --no-daemon, LEARN_DS_DAEMON=0, CI).
  // Loaded here: the type checker's module (node:crypto, node:child_process) would be a cost of every command's start.
  const typeCheck = early?.interrupted
    ? Promise.resolve(undefined)
    : import('../verify/typecheck.ts').then(({ startTypeCheck }) => startTypeCheck(file, shown(file), undefined, options.daemon !== false));
  const renderer = import('../report/verdict.ts');
  const verdict = await judged;
  const { renderTypeProblems, renderVerdict, verdictJson } = await renderer;
  // Which check replayed the plan, if any: a code that named none, or a shrunk run that passes now, is told.
  const notice = replayed && replayNotice(replayed.read(), options.faults!, exercise.id, verdict.seed, CMD, verdict.checks.length > 1 || verdict.checks.some((c) => c.passed));
  if (verdict.interrupted) {
    if (!options.json) print(style.yellow('Interrupted: nothing was recorded.'));
    return 130;
  }
  if (notice && options.json) process.stderr.write(`${notice}\n`);
  const replay = `${CMD} verify ${exercise.id} --seed ${verdict.seed}${options.faults ? ` --faults ${options.faults}` : ''}${options.file ? ` --file ${options.file}` : ''}`;
  // The verdict is shown even when the workspace cannot be written; only its record is lost.
  const saved = ws ? await trySave(ws, (p) => recordAttempt(p, exercise.id, verdict.passed)) : undefined;

  if (options.json) {
    print(verdictJson(verdict, await typeCheck));
    warnNotSaved(saved, 'Your result was not recorded in your progress');
  } else {
    print(renderVerdict(verdict, { file: shown(file), replay, ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}) }));
    if (notice) print(style.yellow(notice));
    warnNotSaved(saved, 'Your result was not recorded in your progress');
    if (verdict.passed && saved?.ok) {
      const nextId = nextExerciseId(saved.progress, catalog().exercises.map((e) => e.id));
      const next = nextId ? catalog().byId.get(nextId) : undefined;
      print(
        `Progress saved. The reference solution is unlocked: \`${CMD} solution ${exercise.id}\`.\n` +
          (next ? `Next: ${style.cyan(`${CMD} next`)} → ${next.title} (${next.id})` : style.green.bold('That was the last exercise you had left!')),
      );
    } else if (!verdict.passed) {
      print(`Stuck? ${style.cyan(`${CMD} hint${id ? ` ${exercise.id}` : ''}`)} gives the next hint.`);
      if (record && recordStamp(record) !== recordBefore) {
        print(`Step through the failing simulated run: ${style.cyan(`${CMD} explain${id ? ` ${exercise.id}` : ''}`)} (add --html for a page).`);
      }
    }
    const types = await typeCheck;
    if (types && types.total > 0) print(`\n${renderTypeProblems(types)}`);
  }
  return verdict.passed ? 0 : 1;
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('verify')
    .alias('submit')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('-f, --file <path>', 'judge this file instead of the one in your workspace (works from any directory)')
    .option('--json', 'print the verdict as JSON: {"exercise", "passed", "checks": [{"name", "passed", "message"}], "seed", "printed", "typeErrors"}')
    .option('--seed <n>', 'replay a run: the seed of every random choice of the hidden tests', parseSeed)
    .option('--faults <plan>', 'with --seed: replay the shrunk fault schedule a failing simulated check names (e.g. 2,5@k3f)', parseFaults)
    .option('--timeout <seconds>', "limit of CPU time of the run (default: the exercise's, usually 10 s; a busy machine does not count)", parseTimeout)
    .option('--no-daemon', 'run cold in a new process instead of the warm verifier (LEARN_DS_DAEMON=0 does the same)')
    .description('run the hidden tests on your file; a pass is saved in your progress. Exit code 0 pass, 1 fail, 2 usage error')
    .addHelpText('after', `\nExamples:\n  $ ${CMD} verify\n  $ ${CMD} verify retry-backoff --seed 4711\n  $ ${CMD} verify token-bucket --file ./my-bucket.ts --json`)
    .action(async (id: string | undefined, options: VerifyOptions) => {
      process.exitCode = await runVerify(id, options, globals());
    });
}
