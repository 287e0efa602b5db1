/**
 * Explains a run: a terminal timeline with one column per node, message arrows, drops, crashes and
 * partitions, cut to the last rows before the moment that matters.
 *
 *       time  n1        n2        n3
 *    12.4 ms  ●─────────▶         │         vote-request term=2 (sent 9.0 ms)
 *    14.0 ms  │         ●─────────✗         vote term=2 lost
 *    20.1 ms  │         ✖         │         n2 crashed
 *    25.0 ms  │         ┊         ‖         n3 paused until 900.0 ms
 *    31.2 ms ╳●─────────┊────────✗         partition {n1} | {n2,n3}
 *
 * A lane is solid while its node runs, dotted (┊) while it is down, shaded (░) while it is paused;
 * rows during a partition carry ╳ before the lanes and dots (· ·) between them, so that a message
 * that crossed the cut stands out; a legend under the rows names the shading shown.
 */
import { ms, summarize } from './format.ts';
import type { NodeId, TraceEvent } from './types.ts';

export interface TimelineOptions {
  /** The lanes, left to right (nodes, and clients if wanted). */
  lanes: readonly NodeId[];
  /** Show at most this many rows, the last ones before `until` (default 30). */
  rows?: number;
  /** Ignore events before this true time (default: from the start). */
  since?: number;
  /** Ignore events after this true time (default: all). */
  until?: number;
  /** Keep only the events this accepts (e.g. hide heartbeats). */
  filter?: (event: TraceEvent) => boolean;
  /** Only events that involve one of these endpoints (default: all). */
  focus?: readonly NodeId[];
  /** Show timer firings too (default false: they are mostly heartbeats). */
  timers?: boolean;
  /** How a message is written (default: its type and fields). */
  describe?: (message: unknown) => string;
  /** A line naming the shading of faults under the rows, when any is shown (default true). */
  legend?: boolean;
}

const LANE = 10;

function involves(e: TraceEvent, who: ReadonlySet<NodeId>): boolean {
  switch (e.kind) {
    case 'deliver':
    case 'drop':
      return who.has(e.from) || who.has(e.to);
    case 'timer':
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'log':
      return who.has(e.node);
    default:
      return true;
  }
}

/** What is wrong with the world at a row: who is down, who is paused, whether a partition is on. */
interface Faults {
  down: Set<NodeId>;
  paused: Set<NodeId>;
  partitioned: boolean;
}

/**
 * A lane is drawn solid while its node runs, dotted while it is down, shaded while it is paused;
 * while a partition is on, the space between the lanes is dotted.
 */
function lanesRow(lanes: readonly NodeId[], faults: Faults, partitioned: boolean): string[] {
  const row = Array<string>(lanes.length * LANE).fill(' ');
  if (partitioned) for (let c = 2; c < (lanes.length - 1) * LANE; c += 2) if (c % LANE !== 0) row[c] = '·';
  for (let i = 0; i < lanes.length; i++) {
    const id = lanes[i]!;
    row[i * LANE] = faults.down.has(id) ? '┊' : faults.paused.has(id) ? '░' : '│';
  }
  return row;
}

/** Which kinds of shading the rows shown used, for the legend. */
interface Shading {
  down: boolean;
  paused: boolean;
  partition: boolean;
}

/** Notes the shading a drawn row shows (a lane hidden under an arrow shows none). */
function noteShading(shading: Shading, row: readonly string[], partitioned: boolean): void {
  if (row.includes('┊')) shading.down = true;
  if (row.includes('░')) shading.paused = true;
  if (partitioned) shading.partition = true;
}

/** `shading: ┊ down · ░ paused · ╳ · · partition in force`, or nothing when no fault was in force. */
export function timelineLegend(shading: Shading): string | undefined {
  const parts = [
    ...(shading.down ? ['┊ lane of a node that is down'] : []),
    ...(shading.paused ? ['░ lane of a paused node'] : []),
    ...(shading.partition ? ['╳ · · a partition is in force'] : []),
  ];
  return parts.length === 0 ? undefined : `${''.padStart(11)}  shading: ${parts.join(' · ')}`;
}

/** The faults in force after `e` (replayed from the start, so that a window shows them too). */
function applyFault(faults: Faults, e: TraceEvent): void {
  switch (e.kind) {
    case 'crash':
      faults.down.add(e.node);
      faults.paused.delete(e.node);
      break;
    case 'restart':
      faults.down.delete(e.node);
      break;
    case 'pause':
      faults.paused.add(e.node);
      break;
    case 'resume':
      faults.paused.delete(e.node);
      break;
    case 'partition':
      faults.partitioned = true;
      break;
    case 'heal':
      faults.partitioned = false;
      break;
    default:
      break;
  }
}

function arrow(row: string[], from: number, to: number, head: string): void {
  const [lo, hi] = from < to ? [from, to] : [to, from];
  for (let c = lo * LANE; c <= hi * LANE; c++) row[c] = '─';
  row[from * LANE] = '●';
  row[to * LANE] = head;
}

/** `; 2 messages and 1 timer that waited are handled now`. */
function waited(messages: number, timers: number): string {
  const parts = [
    ...(messages > 0 ? [`${messages} message${messages === 1 ? '' : 's'}`] : []),
    ...(timers > 0 ? [`${timers} timer${timers === 1 ? '' : 's'}`] : []),
  ];
  return parts.length === 0 ? '' : `; ${parts.join(' and ')} that waited ${messages + timers === 1 ? 'runs' : 'run'} now`;
}

function reasonText(reason: string, to: NodeId): string {
  if (reason === 'loss') return 'lost';
  if (reason === 'partition') return 'blocked by the partition';
  return `not delivered: ${to} is down`;
}

function renderRow(e: TraceEvent, lanes: readonly NodeId[], faults: Faults, describe: (m: unknown) => string, shading: Shading): string {
  const partitioned = faults.partitioned || e.kind === 'partition';
  const row = lanesRow(lanes, faults, partitioned);
  const at = (id: NodeId) => lanes.indexOf(id);
  let label: string;
  switch (e.kind) {
    case 'deliver':
    case 'drop': {
      const f = at(e.from);
      const t = at(e.to);
      const head = e.kind === 'drop' ? '✗' : f <= t ? '▶' : '◀';
      if (f >= 0 && t >= 0 && f !== t) arrow(row, f, t, head);
      else if (t >= 0) row[t * LANE] = head;
      else if (f >= 0) row[f * LANE] = '●';
      const ends = f >= 0 && t >= 0 ? '' : `${e.from}→${e.to} `;
      const what = `${ends}${describe(e.message)}`;
      label = e.kind === 'deliver'
        ? `${what} (sent ${ms(e.sentAt)}${e.duplicate ? ', duplicate' : ''}${e.held ? `, held while ${e.to} was paused` : ''})`
        : `${what} ${reasonText(e.reason, e.to)}`;
      break;
    }
    case 'timer':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '⏱';
      label = `${e.node} timer`;
      break;
    case 'crash':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '✖';
      label = `${e.node} crashed${e.cause ? ` ${e.cause}` : ''} (volatile state lost)`;
      break;
    case 'pause':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '‖';
      label = `${e.node} paused until ${ms(e.until)}: handlers and timers frozen, its clock runs on`;
      break;
    case 'resume':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '»';
      label = `${e.node} resumed after a pause of ${ms(e.t - e.since)}${waited(e.messages, e.timers)}`;
      break;
    case 'restart':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '↻';
      label = `${e.node} restarted`;
      break;
    case 'log':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '•';
      label = `${e.node}: ${e.text}`;
      break;
    case 'partition':
      for (let i = 0; i < lanes.length; i++) row[i * LANE] = '┼';
      label = `partition ${e.description}`;
      break;
    case 'heal':
      label = 'partition healed';
      break;
  }
  noteShading(shading, row, partitioned);
  const gutter = partitioned ? '╳' : ' ';
  return `${ms(e.t).padStart(11)} ${gutter}${row.join('').trimEnd().padEnd(lanes.length * LANE - LANE + 1)}   ${label}`;
}

export function renderTimeline(trace: readonly TraceEvent[], options: TimelineOptions): string {
  const rows = options.rows ?? 30;
  const until = options.until ?? Infinity;
  const since = options.since ?? -Infinity;
  const focus = options.focus && options.focus.length > 0 ? new Set(options.focus) : undefined;
  const describe = options.describe ?? ((m: unknown) => summarize(m));
  const shown = trace.filter(
    (e) => e.t <= until && (options.timers || e.kind !== 'timer') && (!focus || involves(e, focus)) && (!options.filter || options.filter(e)),
  );
  const inWindow = shown.filter((e) => e.t >= since).length;
  const cut = inWindow - rows;
  const lines: string[] = [];
  const header = options.lanes.map((l) => l.padEnd(LANE)).join('').trimEnd();
  lines.push(`${'time'.padStart(11)}  ${header}`);
  if (cut > 0) lines.push(`${''.padStart(11)}  … ${cut} earlier event${cut === 1 ? '' : 's'} not shown`);
  // Which nodes are down or paused, and whether a partition is on, at each row: replayed from the
  // start of the whole trace (filters and focus hide rows, never the faults they would announce).
  const faults: Faults = { down: new Set(), paused: new Set(), partitioned: false };
  const rowsShown = new Set(shown.slice(shown.length - inWindow + Math.max(0, cut)).filter((e) => e.t >= since));
  const shading: Shading = { down: false, paused: false, partition: false };
  for (const e of trace) {
    if (e.t > until) break;
    // A restart or resume row already shows its lane as running; a crash or pause row, as it was.
    if (e.kind === 'restart' || e.kind === 'resume' || e.kind === 'heal') applyFault(faults, e);
    if (rowsShown.has(e)) lines.push(renderRow(e, options.lanes, faults, describe, shading));
    if (e.kind !== 'restart' && e.kind !== 'resume' && e.kind !== 'heal') applyFault(faults, e);
  }
  if (inWindow === 0) lines.push(`${''.padStart(11)}  (no events)`);
  const legend = options.legend === false ? undefined : timelineLegend(shading);
  if (legend) lines.push(legend);
  return lines.join('\n');
}
