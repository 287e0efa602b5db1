/** A one-line spinner on stderr while the learner waits; nothing at all without a terminal. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  /** Shows `text` (at once, or after `delayMs`), replacing what was shown. */
  show(text: string, delayMs?: number): void;
  stop(): void;
}

export function spinner(stream: NodeJS.WriteStream = process.stderr): Spinner {
  let timer: NodeJS.Timeout | undefined;
  let delay: NodeJS.Timeout | undefined;
  let drawn = false;
  const enabled = stream.isTTY === true;
  const clear = () => {
    if (timer) clearInterval(timer);
    if (delay) clearTimeout(delay);
    timer = delay = undefined;
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    show(text, delayMs = 0) {
      if (!enabled) return;
      clear();
      const start = () => {
        let frame = 0;
        const draw = () => {
          stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
          drawn = true;
        };
        draw();
        timer = setInterval(draw, 80);
        timer.unref();
      };
      if (delayMs > 0) {
        delay = setTimeout(start, delayMs);
        delay.unref();
      } else start();
    },
    stop: clear,
  };
}
