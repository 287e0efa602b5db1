/**
 * What `verify` shows while a run goes on, pure: the one-line announcement of an exercise whose
 * checks take long, and the progress line (a spinner frame, a bar, the checks done, the time).
 * Drawn by cli/spinner.ts on a terminal only.
 */
import { progressFraction, totalKnown, type RunProgress } from '../verify/progress.ts';

/** "kv-store runs a 9-node cluster under faults: its checks take about 15 s." */
export function longVerifyNotice(id: string, long: { seconds: number; what: string }): string {
  const what = long.what.trim().replace(/[.:;,]+$/, '');
  return `${id} ${what}: its checks take about ${long.seconds} s.`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar `width` cells wide, filled to `fraction` (0 to 1) in eighths of a cell. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return `${'█'.repeat(full)}${part}${' '.repeat(width - full - (part ? 1 : 0))}`;
}

/** "12/30 checks" once every check is counted; before that, the checks done and the file under way. */
export function checksLabel(p: RunProgress): string {
  if (totalKnown(p)) return `${p.checksDone}/${p.checks} checks`;
  return `${p.checksDone} check${p.checksDone === 1 ? '' : 's'} done · file ${Math.min(p.files, p.filesDone + 1)} of ${p.files}`;
}

export interface ProgressLine {
  /** The spinner's frame: it turns even while the bar stands still (a long check, a slow seed). */
  frame: string;
  /** The share done, 0 to 1 (never less than what was shown before: see cli/spinner.ts). */
  fraction: number;
  progress: RunProgress;
  elapsedMs: number;
  /** The terminal's width: the line stays shorter, so that `\r` can redraw it in place. */
  columns: number;
}

const MAX_BAR = 30;
const MIN_BAR = 8;

/** `⠹ Checking ▕██████▌       ▏ 12/30 checks · 6 s`, fitted to the terminal's width. */
export function progressLine(line: ProgressLine): string {
  const tail = ` ${checksLabel(line.progress)} · ${Math.floor(line.elapsedMs / 1000)} s`;
  const head = `${line.frame} Checking `;
  // Every character here is one cell wide (ASCII, braille frames, block elements).
  const room = line.columns - 1 - head.length - tail.length - 2;
  if (room >= MIN_BAR) return `${head}▕${bar(line.fraction, Math.min(MAX_BAR, room))}▏${tail}`;
  // A narrow terminal: the figures alone, cut to fit.
  const short = `${line.frame} ${Math.round(line.fraction * 100)}%${tail}`;
  return short.slice(0, Math.max(0, line.columns - 1));
}
