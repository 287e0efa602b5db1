/** Bare `learn-ds` on a terminal: a menu of the common actions, until the learner quits. */
import { select } from '@inquirer/prompts';
import { CliError, print, type GlobalOptions } from './context.ts';
import { promptTheme } from './interactive.ts';
import { runNext } from './next.ts';
import { runVerify } from './verify.ts';
import { runHint } from './hint.ts';
import { runShow } from './show.ts';
import { runList } from './list.ts';
import { runProgress } from './progress.ts';
import { runSolution } from './solution.ts';
import { runWatch } from './watch.ts';
import { runDemoCommand } from './run.ts';

type Action = 'next' | 'verify' | 'hint' | 'show' | 'list' | 'progress' | 'watch' | 'run' | 'solution' | 'quit';

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
};

export async function runMenu(globals: GlobalOptions): Promise<void> {
  for (;;) {
    const action = await select<Action>({
      message: 'learn-ds: what next?',
      theme: promptTheme(),
      choices: [
        { name: 'Verify the current exercise', value: 'verify' },
        { name: 'Next exercise', value: 'next' },
        { name: 'Hint', value: 'hint' },
        { name: 'Show the statement', value: 'show' },
        { name: 'List exercises', value: 'list' },
        { name: 'Progress', value: 'progress' },
        { name: 'Watch: verify on every save', value: 'watch' },
        { name: 'Run a demo of your code', value: 'run' },
        { name: 'Reference solution', value: 'solution' },
        { name: 'Quit', value: 'quit' },
      ],
    }).catch((error: unknown) => {
      // Ctrl-C or Ctrl-D at the prompt: leave quietly.
      if (error instanceof Error && error.name === 'ExitPromptError') return 'quit' as const;
      throw error;
    });
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
