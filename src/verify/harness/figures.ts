/**
 * Performance figures in verdicts: a check measures something (messages per broadcast, a delay's
 * median) and shows it, with its limit, under the check's line, pass or fail; `verify --json`
 * carries it as `checks[].figures`. A figure judges nothing by itself: the check still decides.
 */
import { TestRunner } from 'vitest';
import type { RawFigure } from '../protocol.ts';

declare module 'vitest' {
  interface TaskMeta {
    figures?: RawFigure[];
  }
}

export interface FigureOptions {
  /** Written after the value, e.g. 'ms'. */
  unit?: string;
  /** The limit the check holds the value to. */
  limit?: number;
  /** Which way is good (default 'lower': the value must not exceed the limit). */
  better?: 'lower' | 'higher';
}

/** True when `value` is within `limit` (or there is no limit). */
export function withinLimit(value: number, options: FigureOptions): boolean {
  if (options.limit === undefined) return true;
  return options.better === 'higher' ? value >= options.limit : value <= options.limit;
}

/**
 * Records a figure on the check under way (shown under it in the verdict); returns whether the
 * value is within its limit, for the check to judge: `check(figure('messages per broadcast', m,
 * { limit: 30 }), …)`. Outside a test it only returns.
 */
export function figure(name: string, value: number, options: FigureOptions = {}): boolean {
  if (!Number.isFinite(value)) throw new RangeError(`figure "${name}": the value must be a finite number, got ${String(value)}`);
  const test = TestRunner.getCurrentTest();
  if (test) {
    const raw: RawFigure = { name, value };
    if (options.unit !== undefined) raw.unit = options.unit;
    if (options.limit !== undefined) raw.limit = options.limit;
    if (options.better !== undefined) raw.better = options.better;
    (test.meta.figures ??= []).push(raw);
  }
  return withinLimit(value, options);
}
