/**
 * `explain [id] [--html]`: the last failing simulated run of an exercise, as `verify` recorded it,
 * in a terminal stepper (src/report/explain/), as a one-screen summary without a terminal, or as
 * one offline HTML page opened in a browser when there is one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { Exercise } from '../catalog/catalog.ts';
import { failuresDir, readRecord, recordFile } from '../report/explain/run-record.ts';
import { CMD, CliError, print, resolveExercise, shown, workspaceAndProgress, type GlobalOptions } from './context.ts';

export interface ExplainOptions {
  html?: boolean;
  /** false with --no-open: write the page, never start a browser. */
  open?: boolean;
}

/** Does the exercise have simulated checks (the only ones a run is recorded for)? */
function isSimulated(exercise: Exercise): boolean {
  const tests = join(exercise.dir, 'tests');
  try {
    return readdirSync(tests).some((f) => f.endsWith('.ts') && readFileSync(join(tests, f), 'utf8').includes('checkScenario'));
  } catch {
    return false;
  }
}

function noRecord(exercise: Exercise): CliError {
  if (!isSimulated(exercise)) {
    return new CliError(`${exercise.id} runs no simulation, so there is no run to explain: \`${CMD} explain\` steps through the failing runs of simulated exercises (e.g. quorum-kv, raft-log-replication). Its verdict says what failed: \`${CMD} verify ${exercise.id}\`.`);
  }
  return new CliError(
    `No failing simulated run of ${exercise.id} is recorded yet. Run \`${CMD} verify ${exercise.id}\` in this workspace: ` +
      `when one of its simulated checks fails, the run is saved, and \`${CMD} explain ${exercise.id}\` opens it.`,
  );
}

/** A browser only where one can show: macOS, or Linux/BSD with a display. */
function browserCommand(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return undefined;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  const paths = (env.PATH ?? '').split(':');
  return paths.some((p) => p && existsSync(join(p, 'xdg-open'))) ? 'xdg-open' : undefined;
}

async function openInBrowser(command: string, file: string): Promise<void> {
  // Loaded here: node:child_process at the top would be a cost of every command's start.
  const { spawn } = await import('node:child_process');
  const child = spawn(command, [file], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}

export async function runExplain(id: string | undefined, options: ExplainOptions, globals: GlobalOptions): Promise<void> {
  const { ws, progress } = await workspaceAndProgress(globals);
  const exercise = resolveExercise(id, progress);
  const file = recordFile(failuresDir(dirname(ws.progressFile)), exercise.id);
  const read = await readRecord(file);
  if (!read.ok) {
    if (read.reason === 'missing') throw noRecord(exercise);
    throw new CliError(`The recorded run of ${exercise.id} (${shown(file)}) cannot be read (${read.detail}). Run \`${CMD} verify ${exercise.id}\` again to record a new one.`);
  }
  const record = read.record;
  if (options.html) {
    const { renderHtml } = await import('../report/explain/html.ts');
    const page = file.replace(/\.json$/, '.html');
    await writeFile(page, renderHtml(record));
    const browser = options.open === false ? undefined : browserCommand();
    if (browser) {
      await openInBrowser(browser, page);
      print(`Opened ${shown(page)} in your browser.`);
    } else {
      print(`Wrote ${shown(page)}: open it in a browser (it works offline, as a local file).`);
    }
    return;
  }
  const [{ openTerminal }, { runStepper }, { renderSummary }] = await Promise.all([
    import('../watch/terminal.ts'), import('../report/explain/terminal-stepper.ts'), import('../report/explain/view.ts'),
  ]);
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    print(renderSummary(record, CMD, process.stdout.columns || 100));
    return;
  }
  await runStepper(record, openTerminal());
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('explain')
    .argument('[id]', 'exercise id (default: the current exercise)')
    .option('--html', 'write the run as one page (offline) and open it in your browser, or print its path')
    .option('--no-open', 'with --html: only write the page')
    .description("step through the last failing simulated run of an exercise: events, faults, messages in flight, your nodes' ctx.log notes")
    .addHelpText('after', `\nKeys: ←/→ step, g/G first/last, v the violation, [/] faults, n or 1-9 one node, t timers, x the answer no valid order explains, q quit.\n\nExamples:\n  $ ${CMD} explain\n  $ ${CMD} explain quorum-kv --html`)
    .action((id: string | undefined, options: ExplainOptions) => runExplain(id, options, globals()));
}
