/** How a performance figure reads in a verdict: `messages per broadcast 18.2 (limit 30)`. */
import type { RawFigure } from '../verify/protocol.ts';

/** Three significant digits at most, no trailing zeros: 18.2, 0.0312, 1234. */
export function formatFigureValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return String(Number(value.toFixed(decimals)));
}

export function figureWithin(f: RawFigure): boolean {
  if (f.limit === undefined) return true;
  return f.better === 'higher' ? f.value >= f.limit : f.value <= f.limit;
}

export function formatFigure(f: RawFigure): string {
  const unit = f.unit ? ` ${f.unit}` : '';
  const value = `${f.name} ${formatFigureValue(f.value)}${unit}`;
  if (f.limit === undefined) return value;
  const limit = `${formatFigureValue(f.limit)}${unit}`;
  const bound = f.better === 'higher' ? `at least ${limit}` : `limit ${limit}`;
  return `${value} (${bound}${figureWithin(f) ? '' : f.better === 'higher' ? ', below it' : ', over it'})`;
}
