// Virtual time in the hidden-suite harness: AbortSignal.timeout() follows the fake clock too.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { advance, nodeTimerDelay, pendingTimers, settle, useVirtualTime, virtualNow } from '../src/verify/harness/time.ts';

const original = AbortSignal.timeout;

// What the hidden suites' setup file does after every test.
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function abortedAt(signal: AbortSignal): { at?: number } {
  const seen: { at?: number } = {};
  signal.addEventListener('abort', () => { seen.at = virtualNow(); }, { once: true });
  return seen;
}

describe('AbortSignal.timeout under useVirtualTime()', () => {
  test('aborts when the virtual clock reaches the delay, with a TimeoutError DOMException', async () => {
    useVirtualTime();
    const signal = AbortSignal.timeout(100);
    const seen = abortedAt(signal);
    expect(signal).toBeInstanceOf(AbortSignal);
    await advance(99);
    expect(signal.aborted).toBe(false);
    await advance(1);
    expect(signal.aborted).toBe(true);
    expect(seen.at).toBe(100);
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
    expect(() => signal.throwIfAborted()).toThrow(signal.reason as DOMException);
  });

  test('is run by settle(), and AbortSignal.any() follows it', async () => {
    useVirtualTime();
    const caller = new AbortController();
    const both = AbortSignal.any([caller.signal, AbortSignal.timeout(250)]);
    const done = new Promise((_, reject) => both.addEventListener('abort', () => reject(both.reason), { once: true }));
    const s = await settle(done);
    expect(s.status).toBe('rejected');
    expect(s.atMs).toBe(250);
    expect((both.reason as DOMException).name).toBe('TimeoutError');

    // And the other way round: the caller aborting first wins, with its reason.
    const reason = new Error('caller gave up');
    const other = AbortSignal.any([caller.signal, AbortSignal.timeout(1000)]);
    caller.abort(reason);
    expect(other.aborted).toBe(true);
    expect(other.reason).toBe(reason);
  });

  test('is not counted by pendingTimers() (unref\'d, like the real one) but is by settle()', async () => {
    useVirtualTime();
    const signal = AbortSignal.timeout(500);
    expect(vi.getTimerCount()).toBe(1);
    expect(pendingTimers()).toBe(0);
    const timer = setTimeout(() => {}, 1000);
    expect(pendingTimers()).toBe(1);
    await advance(500);
    expect(signal.aborted).toBe(true);
    expect(pendingTimers()).toBe(1);
    clearTimeout(timer);
    expect(pendingTimers()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    // A fresh clock starts with nothing pending.
    AbortSignal.timeout(100);
    useVirtualTime();
    expect(vi.getTimerCount()).toBe(0);
    expect(pendingTimers()).toBe(0);
    const again = AbortSignal.timeout(100);
    await advance(100);
    expect(again.aborted).toBe(true);
  });

  test('refuses the delays the real one refuses, with the same error types', () => {
    const codes = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (error) {
        return `${(error as Error).constructor.name} ${(error as { code?: string }).code}`;
      }
    };
    const bad: unknown[] = [-1, 1.5, NaN, Infinity, 2 ** 32, '5', undefined];
    const real = bad.map((d) => codes(() => AbortSignal.timeout(d as number)));
    useVirtualTime();
    const faked = bad.map((d) => codes(() => AbortSignal.timeout(d as number)));
    expect(faked).toEqual(real);
    expect(pendingTimers()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('is restored with real time', async () => {
    useVirtualTime();
    expect(AbortSignal.timeout).not.toBe(original);
    // Real timers again while the spy is still in place: the real AbortSignal.timeout.
    vi.useRealTimers();
    const signal = AbortSignal.timeout(5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(signal.aborted).toBe(true);
    // What the setup file does after each test puts the original back.
    vi.restoreAllMocks();
    expect(AbortSignal.timeout).toBe(original);
  });
});

describe('nodeTimerDelay: fractional delays under virtual time fire as late as Node fires them', () => {
  test('rounds a fractional delay up to whole milliseconds, never down; whole delays and 0 unchanged', () => {
    expect(nodeTimerDelay(2.5)).toBe(3);
    expect(nodeTimerDelay(2.0001)).toBe(3);
    expect(nodeTimerDelay(0.5)).toBe(1);
    expect(nodeTimerDelay(250)).toBe(250);
    expect(nodeTimerDelay(0)).toBe(0);
  });
  test('leaves what Node itself coerces alone (negative, NaN, huge, not a number)', () => {
    for (const v of [-1.5, Number.NaN, 2 ** 31 + 0.5, '12', undefined]) expect(nodeTimerDelay(v)).toBe(v);
  });
});
