/**
 * The terminal side of `learn-ds watch`: raw mode for single keys (when stdin is a terminal), and
 * putting the terminal back as it was however the session ends (a key, a signal, an error).
 */

export interface WatchTerminal {
  /** stdin is a terminal: keys are read one at a time. */
  keys: boolean;
  /** stdout is a terminal: the screen can be cleared and redrawn. */
  tty: boolean;
  write(text: string): void;
  size(): { rows: number; columns: number } | undefined;
  /** Raw-mode input, as it arrives. */
  onInput(listener: (chunk: string) => void): void;
  onResize(listener: () => void): void;
  /** Leaves raw mode and stops reading. Safe to call more than once. */
  restore(): void;
}

export function openTerminal(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): WatchTerminal {
  const keys = Boolean(stdin.isTTY) && typeof stdin.setRawMode === 'function';
  let listener: ((chunk: string) => void) | undefined;
  let restored = false;
  const onData = (chunk: string | Buffer) => listener?.(String(chunk));
  let resized: (() => void) | undefined;
  const onResize = () => resized?.();
  stdout.on('resize', onResize);
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.off('resize', onResize);
    if (!keys) return;
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
  if (keys) {
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    // Whatever ends this process, the learner's shell must not be left in raw mode.
    process.once('exit', restore);
  }
  return {
    keys,
    tty: Boolean(stdout.isTTY),
    write: (text) => void stdout.write(text),
    size: () => (stdout.isTTY && stdout.rows > 0 && stdout.columns > 0 ? { rows: stdout.rows, columns: stdout.columns } : undefined),
    onInput: (l) => void (listener = l),
    onResize: (l) => void (resized = l),
    restore,
  };
}
