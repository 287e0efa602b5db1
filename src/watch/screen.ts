/**
 * What `learn-ds watch` shows, pure: the whole screen as a string from a view of the session.
 * The verdict itself is drawn by report/verdict.ts, exactly as `verify` draws it.
 */
import { stripVTControlCharacters } from 'node:util';
import type { Exercise } from '../catalog/catalog.ts';
import { exerciseHeading } from '../report/catalog.ts';
import { style } from '../report/style.ts';
import { renderVerdict } from '../report/verdict.ts';
import type { Verdict } from '../verify/verdict.ts';
import type { RunProgress } from '../verify/progress.ts';
import { bar, checksLabel } from '../report/progress-bar.ts';
import { KEY_HELP } from './keys.ts';
import { CMD } from '../command.ts';

export type WatchBody =
  /** Nothing judged yet: the first run is on its way. */
  | { kind: 'starting' }
  | { kind: 'verdict'; verdict: Verdict; replay: string }
  | { kind: 'missing' }
  /** learn-ds itself failed while verifying (not the learner's code): said plainly, watch goes on. */
  | { kind: 'error'; message: string };

export interface WatchView {
  exercise: Exercise;
  total: number;
  shownFile: string;
  body: WatchBody;
  /** A run is under way (the body may still show the previous verdict). */
  verifying: boolean;
  /** How far that run is, once it has gone on long enough to show (on a terminal only). */
  progress?: { fraction: number; progress: RunProgress } | undefined;
  /** The exercise is passed (now or before). */
  passed: boolean;
  /** Where `n` leads once passed: null when every exercise is passed. */
  next: { id: string; title: string } | null;
  /**
   * A hint, the list, the statement or the solution, shown instead of the verdict until dismissed;
   * `offset` is its first line shown, when it is too long for the terminal and scrolled.
   */
  panel: { text: string; offset: number } | null;
  /** One line about the last key pressed (e.g. why it did nothing). */
  notice: string | null;
  /** Keys are read (stdin is a terminal). */
  keys: boolean;
}

function missingText(view: WatchView): string {
  return [
    style.yellow.bold(`file deleted: ${view.shownFile}, waiting for it to come back`),
    style.dim(`Save it again from your editor, or restore the starter with \`${CMD} reset ${view.exercise.id}\`;`),
    style.dim('it is verified as soon as it is back.'),
  ].join('\n');
}

function afterVerdict(view: WatchView, verdict: Verdict): string {
  if (!verdict.passed) return `Stuck? ${view.keys ? 'Press h for a hint.' : `\`${CMD} hint ${view.exercise.id}\` gives a hint.`}`;
  // A pass the progress file does not hold (its record failed: the notice below says why) unlocks nothing.
  if (!view.passed) return '';
  const lines = [style.green('Progress saved.') + (view.keys ? ' Press r for the reference solution.' : ` \`${CMD} solution ${view.exercise.id}\` shows the reference solution.`)];
  if (view.next) lines.push(view.keys ? `Press n for the next exercise: ${view.next.title} (${view.next.id}).` : `Next: \`${CMD} next\` → ${view.next.title} (${view.next.id}).`);
  else lines.push(style.green.bold('That was the last exercise you had left!'));
  return lines.join('\n');
}

const PANEL_KEYS = 'v or Enter: back to the verdict';

/** The screen's middle; a verdict or a panel comes apart from what follows it, so that it can be fitted. */
function bodyText(view: WatchView, columns: number | undefined): { verdict?: string; panel?: string; text: string } {
  if (view.panel !== null) return { panel: view.panel.text, text: style.dim(PANEL_KEYS) };
  const body = view.body;
  switch (body.kind) {
    case 'starting':
      return { text: style.dim('Verifying…') };
    case 'missing':
      return { text: missingText(view) };
    case 'error':
      return { text: style.red(`learn-ds could not verify your file: ${body.message}`) + style.dim('\nIt tries again on your next save.') };
    case 'verdict':
      return {
        verdict: renderVerdict(body.verdict, { file: view.shownFile, replay: body.replay, ...(columns === undefined ? {} : { width: columns }) }),
        text: afterVerdict(view, body.verdict),
      };
  }
}

/** How many terminal rows a piece of text takes, its lines wrapped at `columns`. */
export function rowsOf(text: string, columns: number): number {
  return text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(stripVTControlCharacters(line).length / columns)), 0);
}

/** Lines kept at a fitted verdict's end: the blank line, the summary and the seed. */
const VERDICT_TAIL = 3;

/**
 * A verdict cut to `maxRows`: its first lines (the first failures), a line saying how much is
 * hidden, and its last lines (the summary). A starter fails every check with the same message,
 * and without this the screen would scroll its own header and keys away.
 */
export function fitVerdict(verdict: string, maxRows: number, columns: number, replay: string): string {
  if (rowsOf(verdict, columns) <= maxRows) return verdict;
  const lines = verdict.split('\n');
  const tail = lines.slice(-VERDICT_TAIL);
  const head: string[] = [];
  let budget = maxRows - rowsOf(tail.join('\n'), columns) - 1;
  for (const line of lines.slice(0, -VERDICT_TAIL)) {
    const rows = rowsOf(line, columns);
    if (rows > budget) break;
    head.push(line);
    budget -= rows;
  }
  const hidden = lines.length - VERDICT_TAIL - head.length;
  return [...head, style.dim(`  ⋮ ${hidden} more line${hidden === 1 ? '' : 's'}: \`${replay}\` prints the whole verdict`), ...tail].join('\n');
}

function footer(view: WatchView): string {
  if (!view.keys) return style.dim('Keys are off (stdin is not a terminal); stop with Ctrl-C.');
  return style.dim(
    KEY_HELP.filter(([key]) => view.passed || (key !== 'r' && key !== 'n'))
      .map(([key, what]) => `${key} ${what}`)
      .join(' · '),
  );
}

/**
 * The part of a panel that fits in `room` rows, from line `offset`; the offset is clamped so that
 * scrolling stops once the panel's end is in view.
 */
export function panelWindow(text: string, offset: number, room: number, columns: number): { lines: string[]; start: number; total: number } {
  const lines = text.split('\n');
  let lastStart = lines.length;
  for (let rows = 0; lastStart > 0; lastStart--) {
    rows += rowsOf(lines[lastStart - 1]!, columns);
    if (rows > room) break;
  }
  const start = Math.max(0, Math.min(offset, lastStart));
  const shown: string[] = [];
  for (let i = start, rows = 0; i < lines.length; i++) {
    rows += rowsOf(lines[i]!, columns);
    if (rows > room && shown.length > 0) break;
    shown.push(lines[i]!);
  }
  return { lines: shown, start, total: lines.length };
}

interface Layout {
  header: string[];
  verdict: string | undefined;
  panel: string | undefined;
  rest: string[];
  /** Rows left for the verdict or the panel, when the terminal's size is known. */
  room: number | undefined;
}

function layout(view: WatchView, size: { rows: number; columns: number } | undefined): Layout {
  const status = view.verifying && view.progress
    ? style.cyan(` · verifying ▕${bar(view.progress.fraction, 16)}▏ ${checksLabel(view.progress.progress)}`)
    : view.verifying && view.body.kind !== 'starting' ? style.cyan(' · verifying…') : '';
  const header = [exerciseHeading(view.exercise, view.total), style.dim(`Watching ${view.shownFile}: every save is verified.`) + status, ''];
  const { verdict, panel, text } = bodyText(view, size?.columns);
  const rest = text ? [text, ''] : [];
  if (view.notice) rest.push(style.yellow(view.notice), '');
  rest.push(footer(view));
  // One row is left for the cursor below the footer, one for the blank line below the middle.
  const room = size ? size.rows - 1 - rowsOf([...header, ...rest].join('\n'), size.columns) - 1 : undefined;
  return { header, verdict, panel, rest, room };
}

/** The first panel line shown, clamped as drawing clamps it (for scrolling by keys). */
export function clampPanelOffset(view: WatchView, size: { rows: number; columns: number } | undefined): number {
  const { panel, room } = layout(view, size);
  if (panel === undefined || room === undefined || !view.panel) return 0;
  return panelWindow(panel, view.panel.offset, room - 1, size!.columns).start;
}

/** The whole screen; with the terminal's size, a long verdict is cut and a long panel scrolls. */
export function renderWatchScreen(view: WatchView, size?: { rows: number; columns: number }): string {
  const { header, verdict, panel, rest, room } = layout(view, size);
  let middle: string[] = [];
  if (verdict !== undefined) {
    middle = [verdict, ''];
    if (size && room !== undefined && room >= 6 && view.body.kind === 'verdict') middle = [fitVerdict(verdict, room, size.columns, view.body.replay), ''];
  } else if (panel !== undefined && view.panel) {
    middle = [panel, ''];
    if (size && room !== undefined && room >= 6 && rowsOf(panel, size.columns) > room) {
      // The last row of the room says where in the panel the learner is.
      const w = panelWindow(panel, view.panel.offset, room - 1, size.columns);
      const where = style.dim(`lines ${w.start + 1}-${w.start + w.lines.length} of ${w.total} · ↑↓ (or j k) and PgUp PgDn scroll`);
      middle = [...w.lines, where, ''];
    }
  }
  return [...header, ...middle, ...rest].join('\n');
}
