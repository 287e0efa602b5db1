/**
 * Waste lines for demos (`learn-ds run`): a cost the checks tolerate (retransmissions, messages per
 * operation, attempts), measured against the least a correct implementation needs, in one plain
 * sentence. It states figures and, when the cost is well above the ideal, says so and names the
 * likely cause; it judges nothing (the checks do that).
 */
export interface CostOptions {
  /** What was measured, said after the number: 'retransmissions for 200 messages at 10 % loss'. */
  what: string;
  /** What the learner's code cost. */
  measured: number;
  /** The least a correct implementation needs in the same run. */
  ideal: number;
  /** Why the ideal is that figure: 'each lost packet sent once more'. */
  why: string;
  /** The likely cause, said only when the cost is wasteful: 'your timer fires before an ack can come back'. */
  cause?: string;
  /** How many times the ideal still counts as close to it (default 2). */
  tolerance?: number;
  /** Lines are broken at spaces to fit this many columns (default 110, like the demos' other lines). */
  width?: number;
}

/** A whole number, or one decimal below 10: 36, 2.5. */
function times(ratio: number): string {
  return ratio >= 10 ? String(Math.round(ratio)) : String(Math.round(ratio * 10) / 10);
}

/** True when `measured` is more than `tolerance` times `ideal` (any cost above an ideal of 0). */
export function isWasteful(measured: number, ideal: number, tolerance = 2): boolean {
  return ideal <= 0 ? measured > 0 : measured > ideal * tolerance;
}

/**
 * '799 retransmissions for 200 messages at 10 % loss; about 22 would do (each lost packet sent once
 * more): 36 times that, mostly waste; your timer fires …' or, within the tolerance, '…: close to it.'
 */
export function costLine(options: CostOptions): string {
  const { what, measured, ideal, why, cause, tolerance = 2, width = 110 } = options;
  for (const [name, value] of [['measured', measured], ['ideal', ideal], ['tolerance', tolerance]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`costLine: ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  const round = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  const head = `${round(measured)} ${what}; ${ideal === 0 ? 'none would do' : `about ${round(ideal)} would do`} (${why})`;
  if (!isWasteful(measured, ideal, tolerance)) return wrap(`${head}: ${measured <= ideal ? 'no more than that' : 'close to it'}.`, width);
  const excess = ideal === 0 ? `all ${round(measured)} of them are waste` : `${times(measured / ideal)} times that, mostly waste`;
  return wrap(`${head}: ${excess}${cause ? `; ${cause}` : ''}.`, width);
}

/** `text` broken at spaces into lines of at most `width` columns (a longer word keeps its own line). */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}
