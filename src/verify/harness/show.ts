/**
 * Shows a value in a failure message the way a learner would write it in TypeScript:
 * `{ alice: 2, 'db-1': 1 }`, `'before'`, `0.333333`, `[1, 2]`, `NaN`, `Error: boom`.
 */
import { describeThrown } from './failure.ts';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function show(value: unknown, depth = 0): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  // Rounded so that floating-point noise does not hide the number that matters.
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Number(value.toFixed(6)));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return String(value);
  if (value instanceof Error) return describeThrown(value);
  if (value instanceof Map) return 'a Map';
  if (value instanceof Set) return 'a Set';
  if (value instanceof Promise) return 'a Promise';
  if (depth >= 2) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return `[${value.map((v) => show(v, depth + 1)).join(', ')}]`;
  const record = value as Record<string, unknown>;
  const parts = Object.keys(record).map((k) => `${IDENTIFIER.test(k) ? k : `'${k}'`}: ${show(record[k], depth + 1)}`);
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}
