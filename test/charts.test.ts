// Text charts used by pictures: exact strings, since learners read them.
import { describe, expect, test } from 'vitest';
import { bar, bucket, formatMs, labelled, sparkline, stateStrip, timeAxis } from '../src/report/charts.ts';

describe('charts', () => {
  test('sparkline scales values to eight levels and leaves zeros blank', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▁▂▄█');
    expect(sparkline([1, 1], 8)).toBe('▁▁');
    expect(sparkline([9], 8)).toBe('█');
  });

  test('bucket counts times per column and ignores those outside the span', () => {
    expect(bucket([0, 10, 49, 50, 99, 100, -1], 100, 2)).toEqual([3, 2]);
  });

  test('bar draws eighths of a cell', () => {
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(1, 8, 1)).toBe('▏');
    expect(bar(20, 10, 3)).toBe('███');
    expect(bar(3, 0, 3)).toBe('');
  });

  test('a state strip shows the state at the start of each column', () => {
    const segments = [{ from: 0, to: 50, state: 'a' as const }, { from: 50, to: 100, state: 'b' as const }];
    expect(stateStrip(segments, 100, 4, { a: '▁', b: '█' })).toBe('▁▁██');
  });

  test('a time axis labels start, middle and end', () => {
    expect(timeAxis(2_000, 20)).toBe('0      1.0 s   2.0 s');
    expect(formatMs(87.4)).toBe('87 ms');
    expect(formatMs(90_000)).toBe('1.5 min');
  });

  test('labelled aligns charts after their labels', () => {
    expect(labelled([['a', 'x'], ['long', 'y']])).toBe('a     x\nlong  y');
  });
});
