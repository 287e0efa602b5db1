/**
 * Single-key commands of `learn-ds watch`, pure: raw-mode input bytes in, commands out, and what
 * each command does in a given situation (including why a key does nothing right now).
 */

import { CMD } from '../command.ts';

export type WatchCommand = 'hint' | 'next' | 'list' | 'statement' | 'solution' | 'back' | 'quit' | 'up' | 'down' | 'pageUp' | 'pageDown';

const KEYS: Readonly<Record<string, WatchCommand>> = {
  h: 'hint',
  n: 'next',
  l: 'list',
  s: 'statement',
  r: 'solution',
  v: 'back',
  '\r': 'back',
  '\n': 'back',
  '\x1b': 'back', // Esc
  q: 'quit',
  '\x03': 'quit', // Ctrl-C: in raw mode the terminal sends it as a byte, not as SIGINT
  '\x04': 'quit', // Ctrl-D
  // Scrolling a panel too long for the terminal (the solution, the list, a statement).
  '\x1b[A': 'up',
  '\x1bOA': 'up',
  k: 'up',
  '\x1b[B': 'down',
  '\x1bOB': 'down',
  j: 'down',
  '\x1b[5~': 'pageUp',
  '\x1b[6~': 'pageDown',
  ' ': 'pageDown',
};

/** The keys for the footer, in display order. */
export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['h', 'hint'],
  ['l', 'list'],
  ['s', 'statement'],
  ['r', 'solution'],
  ['n', 'next exercise'],
  ['q', 'quit'],
];

/**
 * Splits a chunk of raw-mode input into keys: a paste or fast typing arrives as several bytes at
 * once, and an escape sequence (an arrow, a function key) is one key that must not be read as Esc
 * followed by letters.
 */
export function splitKeys(chunk: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < chunk.length; ) {
    const seq = /^\x1b(?:\[[0-9;?]*[ -/]*[@-~]|O.)/.exec(chunk.slice(i));
    const length = seq ? seq[0].length : (chunk.codePointAt(i)! > 0xffff ? 2 : 1);
    keys.push(chunk.slice(i, i + length));
    i += length;
  }
  return keys;
}

export function commandOf(key: string): WatchCommand | undefined {
  return KEYS[key.length === 1 ? key.toLowerCase() : key];
}

export interface KeyContext {
  exerciseId: string;
  /** The exercise is passed (now or before: passes are never lost). */
  passed: boolean;
  /** The id of the exercise `n` would move to; null when every exercise is passed. */
  nextId: string | null;
}

export type KeyEffect =
  | { kind: 'quit' | 'hint' | 'list' | 'statement' | 'back' | 'up' | 'down' | 'pageUp' | 'pageDown' }
  | { kind: 'solution' }
  | { kind: 'next'; id: string }
  | { kind: 'refuse'; notice: string };

/** What a command does now; a refusal says why, so that a key never silently does nothing. */
export function decide(command: WatchCommand, ctx: KeyContext): KeyEffect {
  switch (command) {
    case 'next':
      if (!ctx.passed) {
        return { kind: 'refuse', notice: `n moves on once ${ctx.exerciseId} passes. To skip it anyway, quit (q) and run \`${CMD} next\`.` };
      }
      if (ctx.nextId === null) return { kind: 'refuse', notice: 'You have passed every exercise: there is no next one.' };
      return { kind: 'next', id: ctx.nextId };
    case 'solution':
      if (!ctx.passed) return { kind: 'refuse', notice: `The reference solution of ${ctx.exerciseId} unlocks once you pass it; h gives a hint.` };
      return { kind: 'solution' };
    default:
      return { kind: command };
  }
}
