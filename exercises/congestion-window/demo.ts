// `learn-ds run congestion-window`: the congestion window round trip after round trip, over a link
// with a bottleneck: slow start's climb, the AIMD sawtooth, and the fall to 1 segment on a timeout.
import { demo, labelled, show } from 'learn-ds/harness';
import { runRounds, type Round } from './tests/bottleneck.ts';
import { CongestionControl } from 'learn-ds/subject/congestion-window';

const PARTIAL = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A bar chart `height` rows tall, one column per value; `line` (e.g. ssthresh) dotted where no bar covers it. */
function chart(values: readonly number[], lines: readonly number[], top: number, height: number): string[] {
  const unit = top / height;
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    let text = '';
    for (const [column, value] of values.entries()) {
      const v = Number.isFinite(value) ? value : top;
      const eighths = Math.round(Math.max(0, Math.min(1, (v - row * unit) / unit)) * 8);
      const line = lines[column]!;
      const dotted = eighths === 0 && Number.isFinite(line) && line >= row * unit && line < (row + 1) * unit;
      text += dotted ? '·' : PARTIAL[eighths];
    }
    rows.push(text);
  }
  return rows;
}

function axis(width: number): string {
  const cells = Array<string>(width).fill(' ');
  for (const at of [0, Math.floor(width / 2), width - 1]) {
    const label = String(at);
    const from = at === width - 1 ? at - label.length + 1 : at;
    for (let i = 0; i < label.length; i++) cells[from + i] = label[i]!;
  }
  return cells.join('');
}

demo('the congestion window over 90 round trips: slow start, the AIMD sawtooth, a timeout', () => {
  const capacity = 20;
  const rounds = 90;
  const outageAt = 58;
  const options = { initialWindow: 1, initialSsthresh: Infinity };
  const cc = new CongestionControl(options);
  const trace: Round[] = runRounds(cc, capacity, rounds, (r) => r === outageAt);
  const windows = trace.map((r) => r.cwnd);
  const finite = windows.filter((w) => Number.isFinite(w));
  // A window that ran away is drawn clipped, so that the sawtooth of a correct one stays readable.
  const top = Math.min(4 * capacity, Math.max(capacity, ...finite));
  const height = 10;
  const bars = chart(windows, trace.map((r) => r.ssthresh), top, height);
  // The phases your code reported: at the start of each round trip, and R if it entered fast recovery during it.
  const letter: Record<string, string> = { 'slow-start': 'S', 'congestion-avoidance': 'A', 'fast-recovery': 'R' };
  const phases = trace.map((r) => (r.recovered ? 'R' : (letter[r.phase] ?? '?')));
  const events = trace.map((r) => (r.kind === 'loss' ? '×' : r.kind === 'timeout' ? 'T' : ' ')).join('');
  const losses = trace.filter((r) => r.kind === 'loss').length;
  const steady = trace.slice(30, outageAt).map((r) => r.cwnd);
  const average = steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length);
  return [
    `new CongestionControl(${show(options)}); a bottleneck that carries ${capacity} segments per round trip;`,
    `each round trip sends floor(cwnd) segments; the link goes down during round trip ${outageAt} (a timeout).`,
    '',
    labelled([
      ...bars.map((bar, i): [string, string] => [i === 0 ? `cwnd ${show(top)}` : i === height - 1 ? '0' : '', `│${bar}`]),
      ['phase', ` ${phases.join('')}`],
      ['events', ` ${events}`.trimEnd()],
      ['round trip', ` ${axis(rounds)}`],
    ]),
    '',
    '· ssthresh   phase (as your code reports it): S slow start  A congestion avoidance  R fast recovery',
    'events (what the network did): × a segment lost, 3 or more duplicate ACKs came back  T timeout',
    `${losses} losses (×) and a timeout (T). Between round trips 30 and ${outageAt}, your window averaged ${show(Number(average.toFixed(1)))} segments,`,
    `${Math.round((average / capacity) * 100)}% of what the bottleneck carries. A sawtooth between about half and all of it averages 75 to 80%.`,
  ].join('\n');
});
