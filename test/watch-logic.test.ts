// The pure parts of `learn-ds watch`: debouncing, keys, and the screen, without a terminal or a clock.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { Exercise } from '../src/catalog/catalog.ts';
import type { Verdict } from '../src/verify/verdict.ts';
import { Debouncer } from '../src/watch/debounce.ts';
import { commandOf, decide, splitKeys, type KeyContext } from '../src/watch/keys.ts';
import { clampPanelOffset, fitVerdict, panelWindow, renderWatchScreen, rowsOf, type WatchView } from '../src/watch/screen.ts';
import { ManualScheduler } from './support/manual-scheduler.ts';

describe('Debouncer', () => {
  test('a burst of events fires once, after the burst has been quiet for the delay', () => {
    const clock = new ManualScheduler();
    let fired = 0;
    const d = new Debouncer(() => fired++, 30, clock);
    d.trigger();
    clock.advance(20);
    d.trigger(); // the rename that follows a temp-file write
    clock.advance(20);
    d.trigger();
    expect(fired).toBe(0);
    clock.advance(29);
    expect(fired).toBe(0);
    expect(d.pending).toBe(true);
    clock.advance(1);
    expect(fired).toBe(1);
    expect(d.pending).toBe(false);
    expect(clock.scheduled).toBe(0);
  });

  test('events after it fired start a new burst; cancel drops a pending one', () => {
    const clock = new ManualScheduler();
    let fired = 0;
    const d = new Debouncer(() => fired++, 30, clock);
    d.trigger();
    clock.advance(30);
    d.trigger();
    clock.advance(30);
    expect(fired).toBe(2);
    d.trigger();
    d.cancel();
    clock.advance(100);
    expect(fired).toBe(2);
  });
});

describe('keys', () => {
  test('a chunk of raw input is split into keys, escape sequences kept whole', () => {
    expect(splitKeys('hq')).toEqual(['h', 'q']);
    expect(splitKeys('\x1b[A\x1b')).toEqual(['\x1b[A', '\x1b']);
    expect(splitKeys('\x1bOPn')).toEqual(['\x1bOP', 'n']);
    expect(splitKeys('\x1b[1;5Cl')).toEqual(['\x1b[1;5C', 'l']);
  });

  test('keys map to commands; Ctrl-C and Ctrl-D quit; arrows and other keys do nothing', () => {
    expect(['h', 'n', 'l', 's', 'r', 'q', 'v', '\r', '\x1b', '\x03', '\x04'].map(commandOf)).toEqual([
      'hint', 'next', 'list', 'statement', 'solution', 'quit', 'back', 'back', 'back', 'quit', 'quit',
    ]);
    expect(commandOf('Q')).toBe('quit');
    expect(['\x1b[A', 'k', '\x1b[B', 'j', '\x1b[5~', '\x1b[6~', ' '].map(commandOf)).toEqual(['up', 'up', 'down', 'down', 'pageUp', 'pageDown', 'pageDown']);
    expect(commandOf('\x1b[C')).toBeUndefined();
    expect(commandOf('x')).toBeUndefined();
  });

  const ctx = (over: Partial<KeyContext> = {}): KeyContext => ({ exerciseId: 'token-bucket', passed: false, nextId: 'vector-clock', ...over });

  test('n moves on only after a pass, and says why not before', () => {
    expect(decide('next', ctx({ passed: true }))).toEqual({ kind: 'next', id: 'vector-clock' });
    const refused = decide('next', ctx());
    expect(refused.kind).toBe('refuse');
    expect(refused.kind === 'refuse' && refused.notice).toContain('n moves on once token-bucket passes');
    const last = decide('next', ctx({ passed: true, nextId: null }));
    expect(last.kind === 'refuse' && last.notice).toContain('passed every exercise');
  });

  test('r shows the reference solution only after a pass, as `solution` does', () => {
    expect(decide('solution', ctx({ passed: true }))).toEqual({ kind: 'solution' });
    const refused = decide('solution', ctx());
    expect(refused.kind === 'refuse' && refused.notice).toContain('unlocks once you pass it');
  });

  test('the other commands always apply', () => {
    for (const command of ['hint', 'list', 'statement', 'back', 'quit', 'up', 'pageDown'] as const) expect(decide(command, ctx())).toEqual({ kind: command });
  });
});

const exercise = {
  id: 'token-bucket',
  number: 3,
  title: 'Token bucket',
  chapter: { number: 28, title: 'Upstream resiliency' },
  section: 'Rate-limiting',
  difficulty: 'medium',
} as unknown as Exercise;

function verdict(passed: boolean, failing = passed ? 0 : 1): Verdict {
  const checks = [
    { name: 'loads', passed: true, message: null },
    ...Array.from({ length: failing }, (_, i) => ({ name: `check ${i + 1}`, passed: false, message: `expected ${i}, got nothing` })),
  ];
  return { exercise: 'token-bucket', passed, checks, seed: 7 };
}

function view(over: Partial<WatchView> = {}): WatchView {
  return {
    exercise,
    total: 12,
    shownFile: 'learn-ds/28-upstream-resiliency/token-bucket.ts',
    body: { kind: 'verdict', verdict: verdict(false), replay: 'npx learn-ds verify token-bucket --seed 7' },
    verifying: false,
    passed: false,
    next: { id: 'vector-clock', title: 'Vector clocks' },
    panel: null,
    notice: null,
    keys: true,
    ...over,
  };
}

const plain = (text: string) => stripVTControlCharacters(text);

describe('the watch screen', () => {
  test('shows the exercise, the file, the verdict as verify draws it, and the keys that apply', () => {
    const screen = plain(renderWatchScreen(view()));
    expect(screen).toContain('Exercise 3/12 · token-bucket');
    expect(screen).toContain('Watching learn-ds/28-upstream-resiliency/token-bucket.ts');
    expect(screen).toContain('✗ check 1');
    expect(screen).toContain('seed 7 · replay this exact run: npx learn-ds verify token-bucket --seed 7');
    expect(screen).toContain('Press h for a hint.');
    expect(screen).toContain('h hint · l list · s statement · q quit');
    expect(screen).not.toContain('r solution');
  });

  test('after a pass it offers the reference solution and the next exercise', () => {
    const screen = plain(renderWatchScreen(view({ passed: true, body: { kind: 'verdict', verdict: verdict(true), replay: 'x' } })));
    expect(screen).toContain('All 1 checks passed.');
    expect(screen).toContain('Press r for the reference solution.');
    expect(screen).toContain('Press n for the next exercise: Vector clocks (vector-clock).');
    expect(screen).toContain('r solution · n next exercise · q quit');
  });

  test('a pass whose record failed claims no saved progress and offers no solution; the notice says why', () => {
    const notice = 'Your result was not recorded in your progress: learn-ds could not write the progress file (disk full).';
    const screen = plain(renderWatchScreen(view({ passed: false, notice, body: { kind: 'verdict', verdict: verdict(true), replay: 'x' } })));
    expect(screen).toContain('All 1 checks passed.');
    expect(screen).toContain(notice);
    expect(screen).not.toContain('Progress saved');
    expect(screen).not.toContain('r solution');
    expect(screen).toContain(`All 1 checks passed.\n\n${notice}`);
  });

  test('a deleted file gets a waiting screen', () => {
    const screen = plain(renderWatchScreen(view({ body: { kind: 'missing' } })));
    expect(screen).toContain('file deleted: learn-ds/28-upstream-resiliency/token-bucket.ts, waiting for it to come back');
    expect(screen).toContain('npx learn-ds reset token-bucket');
  });

  test('without a terminal it says that keys are off, and names commands instead', () => {
    const screen = plain(renderWatchScreen(view({ keys: false })));
    expect(screen).toContain('Keys are off (stdin is not a terminal); stop with Ctrl-C.');
    expect(screen).toContain('`npx learn-ds hint token-bucket` gives a hint');
  });

  test('a panel replaces the verdict; a notice and "verifying" show above the keys', () => {
    const screen = plain(renderWatchScreen(view({ panel: { text: 'Hint 1 of 3\nuse a Map', offset: 0 }, notice: 'n moves on once token-bucket passes.', verifying: true })));
    expect(screen).toContain('Hint 1 of 3\nuse a Map\n\nv or Enter: back to the verdict');
    expect(screen).not.toContain('✗ check 1');
    expect(screen).toContain('every save is verified. · verifying…');
    expect(screen.indexOf('n moves on')).toBeLessThan(screen.indexOf('h hint'));
  });

  test("a run's progress shows as a bar beside \"verifying\", and only while it verifies", () => {
    const progress = { fraction: 0.5, progress: { files: 1, filesDone: 0, checks: 8, checksDone: 4, file: { checks: 8, done: 4 } } };
    const screen = plain(renderWatchScreen(view({ verifying: true, progress })));
    expect(screen).toContain('every save is verified. · verifying ▕████████        ▏ 4/8 checks');
    expect(plain(renderWatchScreen(view({ verifying: false, progress })))).not.toContain('▕');
  });

  test('a long verdict is cut to the terminal, keeping its first failures, its summary and the keys', () => {
    const long = view({ body: { kind: 'verdict', verdict: verdict(false, 40), replay: 'npx learn-ds verify token-bucket --seed 7' } });
    const screen = plain(renderWatchScreen(long, { rows: 30, columns: 100 }));
    expect(rowsOf(screen, 100)).toBeLessThanOrEqual(29);
    expect(screen).toContain('Exercise 3/12 · token-bucket');
    expect(screen).toContain('✗ check 1\n');
    expect(screen).toMatch(/⋮ \d+ more lines: `npx learn-ds verify token-bucket --seed 7` prints the whole verdict/);
    expect(screen).toContain('40 of 41 checks failed.');
    expect(screen).toContain('h hint · l list');
    // Without a size (not a terminal), nothing is cut.
    expect(plain(renderWatchScreen(long))).toContain('✗ check 40');
  });

  test('a panel too long for the terminal shows a window from its offset, which stops at its end', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    const size = { rows: 30, columns: 100 };
    const top = plain(renderWatchScreen(view({ panel: { text, offset: 0 } }), size));
    expect(rowsOf(top, 100)).toBeLessThanOrEqual(29);
    expect(top).toContain('Exercise 3/12 · token-bucket');
    expect(top).toMatch(/\nline 1\n/);
    expect(top).toMatch(/lines 1-\d+ of 100 · ↑↓ \(or j k\) and PgUp PgDn scroll/);
    expect(top).toContain('v or Enter: back to the verdict');
    const scrolled = plain(renderWatchScreen(view({ panel: { text, offset: 10 } }), size));
    expect(scrolled).toMatch(/\nline 11\n/);
    expect(scrolled).not.toMatch(/\nline 10\n/);
    // Scrolling past the end stops with the last line in view.
    const past = view({ panel: { text, offset: 1000 } });
    const end = clampPanelOffset(past, size);
    expect(end).toBeLessThan(100);
    expect(plain(renderWatchScreen(past, size))).toContain('line 100\n');
    expect(panelWindow(text, 1000, 10, 100)).toMatchObject({ start: 90, total: 100 });
    // Short panels are shown whole, without a position line.
    expect(plain(renderWatchScreen(view({ panel: { text: 'short', offset: 0 } }), size))).not.toContain('scroll');
  });

  test('fitVerdict counts wrapped lines and leaves a verdict that fits alone', () => {
    expect(rowsOf('abcdef\n\nxy', 3)).toBe(4);
    expect(fitVerdict('a\nb\nc', 3, 80, 'r')).toBe('a\nb\nc');
    const cut = plain(fitVerdict(['head', 'x'.repeat(30), 'y', 'z', '', 'summary', 'seed'].join('\n'), 6, 10, 'replay'));
    expect(cut.split('\n')[0]).toBe('head');
    expect(cut).toContain('more lines');
    expect(cut.endsWith('\nsummary\nseed')).toBe(true);
  });
});
