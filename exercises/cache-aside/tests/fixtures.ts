// Keys, values and errors of every shape, and a cache built for one check.
import { describeThrown, fail, show, streamFor } from 'learn-ds/harness';
import { CacheAside } from 'learn-ds/subject/cache-aside';
import type { FakeStore } from './store.ts';

export type Cache = CacheAside<unknown>;

export interface Settings {
  capacity: number;
  ttlMs: number;
  jitter: number;
}

export function settingsText(s: Settings): string {
  return `capacity = ${s.capacity}, ttlMs = ${s.ttlMs}, jitter = ${s.jitter}`;
}

export function newCache(store: FakeStore, s: Settings): Cache {
  try {
    return new CacheAside<unknown>({ store: store.api, capacity: s.capacity, ttlMs: s.ttlMs, jitter: s.jitter });
  } catch (error) {
    return fail(`new CacheAside({ store, ${settingsText(s)} }) threw ${describeThrown(error)}; these options are valid`);
  }
}

/** A whole number in [min, max], from `random`. */
export function pick(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Keys of every shape: sequential, random, mixed case (told apart from lower case), non-ASCII, and names an object already has. */
export function keysFor(label: string): string[] {
  const random = streamFor(`${label}/keys`);
  const hex = () => Math.floor(random() * 0xffffffff).toString(16).padStart(8, '0');
  const base = `user-${pick(random, 1, 9)}`;
  return [
    'user:1', 'user:2', 'user:3',
    `session-${hex()}`, `order/${hex()}`,
    base, base.toUpperCase(), 'Alice', 'alice',
    'café', 'Straße', '日本語のキー', '🔑-key', 'ключ',
    '__proto__', 'constructor', 'toString', 'hasOwnProperty', '',
  ];
}

class AppError extends Error {
  override name = 'AppError';
}

/** Values of every kind a store may hold, each labelled for a message. */
export function valuesOfEveryKind(): { label: string; value: unknown }[] {
  return [
    { label: 'undefined', value: undefined },
    { label: 'null', value: null },
    { label: '0', value: 0 },
    { label: "''", value: '' },
    { label: 'false', value: false },
    { label: 'NaN', value: Number.NaN },
    { label: 'an object', value: { id: 7, tags: ['a'] } },
    { label: 'an array', value: [1, 2, 3] },
    { label: 'an Error (as a value, not thrown)', value: new AppError('stored as a value') },
    { label: 'a string', value: 'hello' },
  ];
}

/** What a store may reject with: an Error subclass, a string, an object, undefined. */
export function errorsOfEveryKind(): { label: string; error: unknown }[] {
  return [
    { label: 'an Error subclass', error: new AppError('store unavailable') },
    { label: 'a string', error: 'store unavailable' },
    { label: 'an object', error: { code: 'EUNAVAILABLE' } },
    { label: 'undefined', error: undefined },
  ];
}

export { show };
