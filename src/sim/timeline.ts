/**
 * Explains a run: a terminal timeline with one column per node, message arrows, drops, crashes and
 * partitions, cut to the last rows before the moment that matters.
 *
 *       time  n1        n2        n3
 *    12.4 ms  ●─────────▶         │         vote-request term=2 (sent 9.0 ms)
 *    14.0 ms  │         ●─────────✗         vote term=2 lost
 *    20.1 ms  │         ✖         │         n2 crashed
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
    case 'log':
      return who.has(e.node);
    default:
      return true;
  }
}

/** A lane is drawn solid while its node runs and dotted while it is down. */
function lanesRow(lanes: readonly NodeId[], down: ReadonlySet<NodeId>): string[] {
  const row = Array<string>(lanes.length * LANE).fill(' ');
  for (let i = 0; i < lanes.length; i++) row[i * LANE] = down.has(lanes[i]!) ? '┊' : '│';
  return row;
}

function arrow(row: string[], from: number, to: number, head: string): void {
  const [lo, hi] = from < to ? [from, to] : [to, from];
  for (let c = lo * LANE; c <= hi * LANE; c++) row[c] = '─';
  row[from * LANE] = '●';
  row[to * LANE] = head;
}

function reasonText(reason: string, to: NodeId): string {
  if (reason === 'loss') return 'lost';
  if (reason === 'partition') return 'blocked by the partition';
  return `not delivered: ${to} is down`;
}

function renderRow(e: TraceEvent, lanes: readonly NodeId[], down: ReadonlySet<NodeId>, describe: (m: unknown) => string): string {
  const row = lanesRow(lanes, down);
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
        ? `${what} (sent ${ms(e.sentAt)}${e.duplicate ? ', duplicate' : ''})`
        : `${what} ${reasonText(e.reason, e.to)}`;
      break;
    }
    case 'timer':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '⏱';
      label = `${e.node} timer`;
      break;
    case 'crash':
      if (at(e.node) >= 0) row[at(e.node) * LANE] = '✖';
      label = `${e.node} crashed (volatile state lost)`;
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
  return `${ms(e.t).padStart(11)}  ${row.join('').trimEnd().padEnd(lanes.length * LANE - LANE + 1)}   ${label}`;
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
  // Which nodes are down at each row: replay crashes and restarts from the start.
  const down = new Set<NodeId>();
  const first = shown.length - inWindow + Math.max(0, cut);
  shown.forEach((e, i) => {
    if (e.kind === 'restart') down.delete(e.node);
    if (i >= first && e.t >= since) lines.push(renderRow(e, options.lanes, down, describe));
    if (e.kind === 'crash') down.add(e.node);
  });
  if (inWindow === 0) lines.push(`${''.padStart(11)}  (no events)`);
  return lines.join('\n');
}
