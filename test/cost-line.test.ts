// Waste lines in demos: exact sentences, since learners read them; the edge of "wasteful" tested.
import { describe, expect, test } from 'vitest';
import { costLine, isWasteful, wrap } from '../src/verify/harness/cost.ts';

const base = { what: 'retransmissions for 200 messages at 10 % loss', why: 'each lost packet sent once more', width: 1_000 };

describe('costLine', () => {
  test('far above the ideal: the ratio, plainly called waste, and the cause', () => {
    expect(costLine({ ...base, measured: 799, ideal: 22, cause: 'your timer fires before an ack can come back' })).toBe(
      '799 retransmissions for 200 messages at 10 % loss; about 22 would do (each lost packet sent once more): ' +
        '36 times that, mostly waste; your timer fires before an ack can come back.',
    );
  });

  test('a ratio below 10 keeps one decimal; no cause, no clause', () => {
    expect(costLine({ ...base, measured: 55, ideal: 22 })).toBe(
      '55 retransmissions for 200 messages at 10 % loss; about 22 would do (each lost packet sent once more): 2.5 times that, mostly waste.',
    );
  });

  test('at the tolerance exactly it is close; just above it is waste', () => {
    expect(costLine({ ...base, measured: 44, ideal: 22, cause: 'x' })).toMatch(/: close to it\.$/);
    expect(costLine({ ...base, measured: 44.5, ideal: 22 })).toMatch(/^44\.5 .*: 2 times that, mostly waste\.$/);
    expect(costLine({ ...base, measured: 31, ideal: 10, tolerance: 3 })).toMatch(/3\.1 times that/);
    expect(costLine({ ...base, measured: 30, ideal: 10, tolerance: 3 })).toMatch(/close to it\.$/);
  });

  test('at or below the ideal: no more than that; fractional ideals keep a decimal', () => {
    expect(costLine({ ...base, measured: 22, ideal: 22 })).toMatch(/: no more than that\.$/);
    expect(costLine({ ...base, measured: 3, ideal: 2.5 })).toBe(
      '3 retransmissions for 200 messages at 10 % loss; about 2.5 would do (each lost packet sent once more): close to it.',
    );
  });

  test('an ideal of zero: any cost is all waste', () => {
    expect(costLine({ ...base, measured: 0, ideal: 0 })).toMatch(/none would do .*: no more than that\.$/);
    expect(costLine({ ...base, measured: 3, ideal: 0 })).toMatch(/none would do .*: all 3 of them are waste\.$/);
  });

  test('refuses figures that are not finite numbers ≥ 0', () => {
    expect(() => costLine({ ...base, measured: Number.NaN, ideal: 1 })).toThrow(/measured/);
    expect(() => costLine({ ...base, measured: 1, ideal: -1 })).toThrow(/ideal/);
    expect(() => costLine({ ...base, measured: 1, ideal: 1, tolerance: Infinity })).toThrow(/tolerance/);
  });

  test('isWasteful: strictly above tolerance × ideal', () => {
    expect(isWasteful(20, 10)).toBe(false);
    expect(isWasteful(20.01, 10)).toBe(true);
    expect(isWasteful(0, 0)).toBe(false);
    expect(isWasteful(0.5, 0)).toBe(true);
  });

  test('wraps at spaces to the width (110 by default), a long word on its own line', () => {
    const line = costLine({ ...base, width: undefined, measured: 799, ideal: 22, cause: 'your timer fires before an ack can come back' });
    expect(line.split('\n').map((l) => l.length).every((n) => n <= 110)).toBe(true);
    expect(line.replaceAll('\n', ' ')).toBe(costLine({ ...base, measured: 799, ideal: 22, cause: 'your timer fires before an ack can come back' }));
    expect(wrap('aa bb cc', 5)).toBe('aa bb\ncc');
    expect(wrap('aa bb cc', 4)).toBe('aa\nbb\ncc');
    expect(wrap('abcdefgh ij', 4)).toBe('abcdefgh\nij');
    expect(wrap('', 4)).toBe('');
  });
});
