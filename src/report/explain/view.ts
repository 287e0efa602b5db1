/**
 * The stepper's screen and the one-screen summary (no terminal), as lines of text fitted to a width.
 * Pure: the record and the state in, text out.
 */
import { ms } from '../../sim/format.ts';
import { renderTimeline } from '../../sim/timeline.ts';
import type { TraceEvent } from '../../sim/types.ts';
import { style } from '../style.ts';
import { describeEvent, faultsAt, inFlightAt, notesAt, toTraceEvent } from './moment.ts';
import type { RunRecord } from './run-record.ts';
import { filterIds, isVisible, stuckAnswerIndex, violationIndex, type StepperState } from './stepper.ts';

export interface ScreenSize {
  rows: number;
  columns: number;
}

/** Cuts a line to `width` characters (the timeline is wide; labels are cut, never wrapped). */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** The trace as the simulator's timeline wants it, converted once per record. */
const traces = new WeakMap<RunRecord, TraceEvent[]>();
function traceOf(record: RunRecord): TraceEvent[] {
  let trace = traces.get(record);
  if (!trace) {
    trace = record.events.map(toTraceEvent);
    traces.set(record, trace);
  }
  return trace;
}

function header(record: RunRecord): string[] {
  const check = [...record.checkPath, record.check].join(' › ');
  return [
    style.bold(`learn-ds explain ${record.exercise}`) + style.dim(` · scenario seed ${record.seed}${record.suiteSeed !== null ? ` (verify --seed ${record.suiteSeed})` : ''}`),
    `${style.red('✗')} ${check}`,
  ];
}

/** Timeline rows around the current event, the current one marked ▶. */
function timelineWindow(record: RunRecord, state: StepperState, height: number): string[] {
  const trace = traceOf(record);
  const visible: number[] = [];
  record.events.forEach((e, i) => {
    if (isVisible(e, state)) visible.push(i);
  });
  let at = visible.indexOf(state.pos);
  if (at < 0) at = Math.max(0, visible.findIndex((i) => i > state.pos) - 1);
  const before = Math.max(0, Math.min(at, height - 1 - Math.floor(height / 3)));
  const start = Math.max(0, Math.min(at - before, visible.length - height));
  const window = visible.slice(start, start + height);
  if (window.length === 0) return ['  (no event to show with this filter)'];
  const chosen = new Set(window.map((i) => trace[i]!));
  const lines = renderTimeline(trace, {
    lanes: record.nodes,
    rows: window.length,
    until: trace[window.at(-1)!]!.t,
    timers: true,
    filter: (e) => chosen.has(e),
    legend: true,
  }).split('\n');
  // Line 0 is the lane header; then one line per event of the window, in order; then the legend.
  return lines.map((line, k) => {
    const event = k >= 1 && k <= window.length ? window[k - 1] : undefined;
    if (event === state.pos) return style.inverse(`▶${line}`);
    return ` ${line}`;
  });
}

/** What the linearizability checker found, when it found no valid order. */
function historyLine(record: RunRecord): string[] {
  const lin = record.history?.linearizability;
  if (!lin || lin.verdict === 'linearizable' || lin.stuck.length === 0) return [];
  const text = new Map(record.history!.ops.map((o) => [o.id, `${o.client} ${o.text}`]));
  const jump = stuckAnswerIndex(record) === undefined ? '' : ' · x jumps to its answer';
  return [`history: ${lin.stuck.map((id) => text.get(id)).join(', ')} cannot follow the longest valid order found (${lin.longest.length} of ${lin.ops.length} operations)${jump}`];
}

/** The keys, on one line when the terminal is wide enough, else on two. */
function keysLines(record: RunRecord, state: StepperState, width: number): string[] {
  const ids = filterIds(record);
  const numbers = ids.length === 0 ? '' : ids.length === 1 ? '1' : `1-${Math.min(9, ids.length)}`;
  const move = `←/→ step · PgUp/PgDn 10 · g/G first/last · v violation · [/] fault${stuckAnswerIndex(record) === undefined ? '' : ' · x unplaced op'}`;
  const show = `n${numbers ? `/${numbers}` : ''} node: ${state.node ?? 'all'} (0 all) · t timers: ${state.timers ? 'on' : 'off'} · q quit`;
  const one = `${move} · ${show}`;
  return (one.length <= width ? [one] : [move, show]).map((l) => style.dim(l));
}

/** The stepper's whole screen for `size`. */
export function renderScreen(record: RunRecord, state: StepperState, size: ScreenSize): string[] {
  const width = Math.max(20, size.columns);
  const e = record.events[state.pos];
  const top = header(record);
  const message = record.message.split('\n')[0]!;
  const where = e
    ? `event ${e.i + 1} of ${record.events.length + record.omittedEvents} at ${ms(e.t)}${state.pos === violationIndex(record) ? style.red(' · the violation') : ` · violation at ${ms(record.violation.t)}`}${state.node ? ` · only ${state.node}` : ''}`
    : 'no event recorded';
  const now = e ? [style.bold(`now: ${describeEvent(e)}`)] : [];
  const faults = e ? faultsAt(record, e.t) : [];
  const flying = inFlightAt(record, state.pos);
  const notes = notesAt(record, state.pos);
  const detail: string[] = [
    faults.length === 0 ? style.dim('faults in force: none') : `faults in force: ${faults.map((f) => f.label).join('; ')}`,
    flying.length === 0
      ? style.dim('in flight: nothing known')
      : `in flight (${flying.length}): ${flying.slice(0, 4).map((m) => `${m.from}→${m.to} ${m.text} (sent ${ms(m.sentAt)}, ${m.dropped ? 'dropped' : 'arrives'} ${ms(m.at)})`).join(' · ')}${flying.length > 4 ? ` · … ${flying.length - 4} more` : ''}`,
    notes.length === 0 ? style.dim('notes (ctx.log): none yet') : `notes: ${notes.map((n) => `${n.node} "${n.text}" (${ms(n.t)})`).join(' · ')}`,
    ...historyLine(record),
  ];
  const keys = keysLines(record, state, width);
  const fixed = top.length + 2 + now.length + detail.length + keys.length + (state.notice ? 1 : 0);
  const timeline = timelineWindow(record, state, Math.max(3, size.rows - fixed - 2));
  const lines = [
    ...top,
    style.red(message),
    where,
    ...timeline,
    ...now,
    ...detail,
    ...(state.notice ? [style.yellow(state.notice)] : []),
    ...keys,
  ];
  // Too short a terminal loses detail lines, never the keys.
  const rows = Math.max(keys.length + 1, size.rows);
  const fitted = lines.length <= rows ? lines : [...lines.slice(0, rows - keys.length), ...keys];
  return fitted.map((l) => fitStyled(l, width));
}

/** fit() for lines that may hold colour codes: cut by visible characters, colours closed. */
function fitStyled(line: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  if ([...plain].length <= width) return line;
  return fit(plain, width);
}

/** Without a terminal: the run on one screen, and how to see more. */
export function renderSummary(record: RunRecord, command: string, columns = 100): string {
  const trace = traceOf(record);
  const width = Math.max(40, columns);
  const when = new Date(record.recordedAt);
  const recorded = Number.isNaN(when.getTime()) ? [] : [style.dim(`recorded ${when.toLocaleString()} by a verify of ${record.exercise}`)];
  const lines = [...header(record), ...recorded, ...record.message.split('\n').map((l) => style.red(l)), ''];
  if (record.schedule && record.schedule.length > 0) lines.push('what happened (shrunk):', ...record.schedule.map((s) => `  ${s}`), '');
  if (record.faults.length > 0) {
    lines.push(`faults (${record.faults.length}):`);
    for (const f of record.faults.slice(0, 6)) lines.push(`  ${ms(f.from)} – ${f.to === null ? 'end' : ms(f.to)}  ${f.label}`);
    if (record.faults.length > 6) lines.push(`  … ${record.faults.length - 6} more`);
    lines.push('');
  }
  lines.push(`the last events before the violation at ${ms(record.violation.t)}:`);
  lines.push(...renderTimeline(trace, { lanes: record.nodes, rows: 12, until: record.violation.t }).split('\n').map((l) => fitStyled(l, width)));
  const notes = notesAt(record, violationIndex(record));
  if (notes.length > 0) lines.push('', `latest notes: ${notes.map((n) => `${n.node} "${n.text}"`).join(' · ')}`);
  const lin = record.history?.linearizability;
  if (lin && lin.verdict !== 'linearizable') {
    const text = new Map(record.history!.ops.map((o) => [o.id, `${o.client} ${o.text}`]));
    lines.push('', `linearizability: ${lin.verdict}; longest valid order found: ${lin.longest.length} of ${lin.ops.length} operations` +
      (lin.stuck.length > 0 ? `; cannot follow it: ${lin.stuck.map((id) => text.get(id)).join(', ')}` : ''));
  }
  lines.push('', style.dim(`In a terminal, \`${command} explain ${record.exercise}\` steps through the ${record.events.length} events; \`${command} explain ${record.exercise} --html\` draws them on a page.`));
  return lines.join('\n');
}
