/**
 * What the learner's code printed (console.log, console.error, …) during a hidden run, kept for the
 * verdict: learners debug with print statements first. Capped, because code under test may print
 * in a loop: the first lines are kept (each cut to a screen's width or so), the rest only counted.
 */
import { stripVTControlCharacters } from 'node:util';

export interface PrintedLine {
  /** The check during which it was printed ("a › b"), or null while loading files, between checks. */
  check: string | null;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface Printed {
  lines: PrintedLine[];
  /** Lines printed beyond the first ones kept. */
  leftOut: number;
}

export const MAX_PRINTED_LINES = 20;
const MAX_LINE = 300;

export class PrintedLog {
  private lines: Array<Omit<PrintedLine, 'check'> & { taskId: string | undefined }> = [];
  private leftOut = 0;

  constructor(private readonly maxLines = MAX_PRINTED_LINES) {}

  reset(): void {
    this.lines = [];
    this.leftOut = 0;
  }

  add(content: string, stream: PrintedLine['stream'], taskId: string | undefined): void {
    const text = content.endsWith('\n') ? content.slice(0, -1) : content;
    let start = 0;
    // Line by line without splitting megabytes at once: only the first lines are kept anyway.
    for (;;) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end === -1 ? undefined : Math.min(end, start + MAX_LINE + 1));
      if (this.lines.length < this.maxLines) {
        const clean = stripVTControlCharacters(line);
        this.lines.push({ taskId, stream, text: clean.length > MAX_LINE ? `${clean.slice(0, MAX_LINE)}…` : clean });
      } else {
        this.leftOut += end === -1 ? 1 : countLines(text, start);
        return;
      }
      if (end === -1) return;
      start = end + 1;
    }
  }

  /** The log, with each line's check named by `checkOf(taskId)`. */
  take(checkOf: (taskId: string) => string | undefined): Printed {
    return {
      lines: this.lines.map(({ taskId, stream, text }) => ({ check: (taskId && checkOf(taskId)) || null, stream, text })),
      leftOut: this.leftOut,
    };
  }
}

function countLines(text: string, from: number): number {
  let n = 1;
  for (let i = text.indexOf('\n', from); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
