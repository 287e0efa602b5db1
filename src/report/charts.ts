/**
 * Small text charts for pictures (`learn-ds run`, and failures that a picture explains): sparklines,
 * bars, state strips and time axes. Pure strings, no colour, so they read the same in a log.
 */

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** "87 ms", "1.2 s", "3 min". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  if (Math.abs(ms) < 1_000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** One character per value, from ▁ to █ (a zero is a blank); `max` sets the scale. */
export function sparkline(values: readonly number[], max = Math.max(1, ...values)): string {
  return values
    .map((v) => (v <= 0 ? ' ' : BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.ceil((v / max) * BLOCKS.length) - 1))]))
    .join('');
}

/** Counts of `times` in `width` equal columns over [0, spanMs). */
export function bucket(times: readonly number[], spanMs: number, width: number): number[] {
  const counts = Array<number>(width).fill(0);
  for (const t of times) {
    if (t < 0 || t >= spanMs) continue;
    counts[Math.floor((t / spanMs) * width)]!++;
  }
  return counts;
}

/** A horizontal bar of `value` out of `max`, `width` cells long at most, in eighths of a cell. */
export function bar(value: number, max: number, width: number): string {
  const eighths = max <= 0 ? 0 : Math.round((Math.max(0, Math.min(value, max)) / max) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** Labels under a chart `width` columns wide covering [0, spanMs): start, middle and end. */
export function timeAxis(spanMs: number, width: number): string {
  const start = '0';
  const mid = formatMs(spanMs / 2);
  const end = formatMs(spanMs);
  const line = Array<string>(width).fill(' ');
  const put = (at: number, text: string) => {
    for (let i = 0; i < text.length && at + i < width; i++) line[at + i] = text[i]!;
  };
  put(0, start);
  put(Math.max(start.length + 1, Math.floor(width / 2 - mid.length / 2)), mid);
  put(Math.max(0, width - end.length), end);
  return line.join('');
}

export interface Segment<S extends string> {
  from: number;
  to: number;
  state: S;
}

/** One character per column showing which state held at the start of that column. */
export function stateStrip<S extends string>(segments: readonly Segment<S>[], spanMs: number, width: number, glyphs: Readonly<Record<S, string>>): string {
  let out = '';
  for (let c = 0; c < width; c++) {
    const t = (c / width) * spanMs;
    const seg = segments.find((s) => s.from <= t && t < s.to);
    out += seg ? glyphs[seg.state] : ' ';
  }
  return out;
}

/** Rows of `label  chart`, labels padded to one width. */
export function labelled(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, chart]) => `${label.padEnd(width)}  ${chart}`.trimEnd()).join('\n');
}
