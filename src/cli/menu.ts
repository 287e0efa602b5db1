/** Bare `learn-ds` on a terminal: a menu of the common actions, until the learner quits. */
import { emitKeypressEvents } from 'node:readline';
import { select } from '@inquirer/prompts';
import { findWorkspace } from '../workspace/workspace.ts';
import { loadProgress } from '../workspace/progress-store.ts';
import { CliError, catalog, print, type GlobalOptions } from './context.ts';
import { runDoctor } from './doctor.ts';
import { runReset } from './reset.ts';
import { promptTheme } from './interactive.ts';
import { runNext, runStart } from './next.ts';
import { runVerify } from './verify.ts';
import { runHint } from './hint.ts';
import { runShow } from './show.ts';
import { runList } from './list.ts';
import { runProgress } from './progress.ts';
import { runSolution } from './solution.ts';
import { runWatch } from './watch.ts';
import { runDemoCommand } from './run.ts';

type Action = 'next' | 'verify' | 'hint' | 'show' | 'list' | 'progress' | 'watch' | 'run' | 'solution' | 'jump' | 'reset' | 'doctor' | 'quit';

const ACTIONS: Record<Exclude<Action, 'quit'>, (g: GlobalOptions) => Promise<unknown>> = {
  next: runNext,
  verify: (g) => runVerify(undefined, {}, g),
  hint: (g) => runHint(undefined, {}, g),
  show: (g) => runShow(undefined, g),
  list: runList,
  progress: runProgress,
  watch: (g) => runWatch(undefined, {}, g),
  run: (g) => runDemoCommand(undefined, {}, g),
  solution: (g) => runSolution(undefined, g),
  jump: async (g) => {
    const id = await pick('Jump to which exercise? (Esc: back)', catalog().exercises.map((e) => ({ name: `${String(e.number).padStart(2)}  ${e.id} · ${e.title}`, value: e.id })));
    if (id) await runStart(id, g);
  },
  reset: (g) => runReset(undefined, {}, g),
  doctor: runDoctor,
};

/** Has the learner started anything yet? A fresh clone offers "Start the first exercise" first. */
async function hasCurrent(globals: GlobalOptions): Promise<boolean> {
  const ws = findWorkspace(process.cwd(), globals.workspace);
  if (!ws) return false;
  return (await loadProgress(ws.progressFile).catch(() => undefined))?.current != null;
}

function choicesFor(started: boolean): Array<{ name: string; value: Action }> {
  if (!started) {
    return [
      { name: 'Start the first exercise', value: 'next' },
      { name: 'Jump to an exercise', value: 'jump' },
      { name: 'List exercises', value: 'list' },
      { name: 'Doctor: check your set-up', value: 'doctor' },
      { name: 'Quit', value: 'quit' },
    ];
  }
  return [
    { name: 'Verify the current exercise', value: 'verify' },
    { name: 'Next exercise', value: 'next' },
    { name: 'Hint', value: 'hint' },
    { name: 'Show the statement', value: 'show' },
    { name: 'List exercises', value: 'list' },
    { name: 'Progress', value: 'progress' },
    { name: 'Watch: verify on every save', value: 'watch' },
    { name: 'Run a demo of your code', value: 'run' },
    { name: 'Reference solution', value: 'solution' },
    { name: 'Jump to an exercise', value: 'jump' },
    { name: 'Reset the current exercise to its starter (yours is backed up)', value: 'reset' },
    { name: 'Doctor: check your set-up', value: 'doctor' },
    { name: 'Quit', value: 'quit' },
  ];
}

/**
 * A select that Esc (and, with `qQuits`, q) ends: undefined then, as for Ctrl-C or Ctrl-D.
 * inquirer has no key for "cancel", so the keys are read beside it and abort the prompt.
 */
async function pick<T>(message: string, choices: Array<{ name: string; value: T }>, qQuits = false): Promise<T | undefined> {
  const controller = new AbortController();
  const onKey = (_: string, key: { name?: string; ctrl?: boolean } | undefined) => {
    if (key?.name === 'escape' || (qQuits && key?.name === 'q' && !key.ctrl)) controller.abort();
  };
  emitKeypressEvents(process.stdin);
  process.stdin.on('keypress', onKey);
  try {
    return await select<T>({ message, theme: promptTheme(), choices, pageSize: 15 }, { signal: controller.signal });
  } catch (error) {
    // Esc or q (aborted), Ctrl-C or Ctrl-D (exit): leave quietly.
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) return undefined;
    throw error;
  } finally {
    process.stdin.off('keypress', onKey);
  }
}

export async function runMenu(globals: GlobalOptions): Promise<void> {
  for (;;) {
    const action = (await pick<Action>('learn-ds: what next? (q or Esc: quit)', choicesFor(await hasCurrent(globals)), true)) ?? 'quit';
    if (action === 'quit') return;
    try {
      await ACTIONS[action](globals);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      print(error.message);
    }
    print('');
  }
}
