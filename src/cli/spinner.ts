/**
 * One status line on stderr while the learner waits: a spinner with a text, and once the run's
 * progress is known and the wait is long enough to matter, a progress bar in its place. Nothing at
 * all (no escape codes) unless both stdout and stderr are terminals. Erased by stop(), before the
 * verdict prints; Ctrl-C is left to the runner (it ends the run, then stop() erases the line).
 */
import { progressLine } from '../report/progress-bar.ts';
import { progressFraction, type RunProgress } from '../verify/progress.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  /** Shows `text` (at once, or after `delayMs`), replacing what was shown. */
  show(text: string, delayMs?: number): void;
  /** The run's progress: drawn as a bar once the line has waited `barAfterMs` (see spinner()). */
  progress(progress: RunProgress): void;
  stop(): void;
}

export interface SpinnerOptions {
  stream?: NodeJS.WriteStream;
  /** Whether to draw at all (default: stdout and `stream` are terminals). */
  enabled?: boolean;
  /** The bar replaces the spinner from this long after the start (0: as soon as progress is known). */
  barAfterMs?: number;
}

export function spinner(options: SpinnerOptions = {}): Spinner {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? (stream.isTTY === true && process.stdout.isTTY === true);
  const barAfterMs = options.barAfterMs ?? 1_000;
  const started = performance.now();
  let text: string | undefined;
  let textFrom = 0;
  let progress: RunProgress | undefined;
  /** The bar never goes back (a check with two scenarios restarts its seeds). */
  let fraction = 0;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const line = (): string | undefined => {
    const now = performance.now();
    const glyph = FRAMES[frame % FRAMES.length]!;
    const columns = stream.columns || 80;
    if (progress && now - started >= barAfterMs) return progressLine({ frame: glyph, fraction, progress, elapsedMs: now - started, columns });
    if (text !== undefined && now >= textFrom) return `${glyph} ${text}`.slice(0, columns - 1);
    return undefined;
  };
  const draw = () => {
    frame++;
    const shown = line();
    if (shown === undefined) {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
      return;
    }
    stream.write(`\r\x1b[2K${shown}`);
    drawn = true;
  };
  const start = () => {
    if (timer || !enabled) return;
    timer = setInterval(draw, 80);
    timer.unref();
  };
  return {
    show(next, delayMs = 0) {
      if (!enabled) return;
      text = next;
      textFrom = performance.now() + delayMs;
      start();
      draw();
    },
    progress(next) {
      if (!enabled) return;
      progress = next;
      fraction = Math.max(fraction, progressFraction(next));
      start();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
