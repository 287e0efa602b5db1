/**
 * The stepper on a real terminal: the alternate screen, raw keys (src/watch/terminal.ts), a redraw
 * per key, and the terminal put back however it ends (q, Ctrl-C, a signal, an error, exit).
 * Plain ANSI only, no mouse: it works over ssh and in tmux.
 */
import type { WatchTerminal } from '../../watch/terminal.ts';
import type { RunRecord } from './run-record.ts';
import { initialState, parseKeys, update, type StepperState } from './stepper.ts';
import { renderScreen } from './view.ts';

const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
const HOME_CLEAR = '\x1b[H\x1b[2J';

export async function runStepper(record: RunRecord, terminal: WatchTerminal): Promise<StepperState> {
  let state = initialState(record);
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    terminal.write(LEAVE_SCREEN);
    terminal.restore();
  };
  const draw = () => {
    const size = terminal.size() ?? { rows: 24, columns: 80 };
    terminal.write(HOME_CLEAR + renderScreen(record, state, size).join('\r\n'));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let stop = () => undefined as void;
  process.once('exit', leave);
  terminal.write(ENTER_SCREEN);
  try {
    await new Promise<void>((resolve) => {
      // A signal (Ctrl-C without raw mode, kill, a closed ssh session) ends it as q does.
      stop = () => {
        state = { ...state, quit: true };
        resolve();
      };
      for (const signal of signals) process.on(signal, stop);
      terminal.onInput((chunk) => {
        for (const command of parseKeys(chunk, record)) state = update(record, state, command);
        if (state.quit) resolve();
        else draw();
      });
      terminal.onResize(draw);
      draw();
    });
  } finally {
    for (const signal of signals) process.off(signal, stop);
    leave();
    process.off('exit', leave);
  }
  return state;
}
