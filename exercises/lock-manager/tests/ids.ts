// Transaction ids and keys of several shapes. Ages never follow id order: the checks start
// transactions in orders that disagree with string order, numeric order and case-blind order.

/** Named shapes, each with enough ids for the largest scenario (12). */
export function idShapes(random: () => number): Array<{ shape: string; ids: string[] }> {
  const hex = () => Math.floor(random() * 0xffffffff).toString(16).padStart(8, '0');
  const randomIds = new Set<string>();
  while (randomIds.size < 12) randomIds.add(`txn-${hex()}`);
  return [
    { shape: 'sequential', ids: ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9', 't10', 't11', 't12'] },
    { shape: 'random', ids: [...randomIds] },
    { shape: 'mixed case', ids: ['alice', 'Alice', 'BOB', 'bob', 'Carol', 'cAROL', 'dave', 'Dave', 'EVE', 'eve', 'Frank', 'frank'] },
    { shape: 'non-ASCII', ids: ['Zoë', 'zoe', 'ñ3', 'Ñ3', '日本', 'ключ', 'Ωmega', '𝒯x', 'é', 'e\u0301', '🙂', 'ß'] },
    { shape: 'numeric', ids: ['10', '9', '100', '2', '1', '011', '0', '-1', '1e3', '7', '70', '8'] },
    // Names every plain object already has: a map made of an object literal trips over them.
    { shape: 'object property names', ids: ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'prototype', 'length', 'toLocaleString', '__defineGetter__', 'then', 'propertyIsEnumerable'] },
  ];
}

/** Keys of several shapes (a key is any string). */
export const KEYS = ['x', 'Y', 'acct:42', 'ключ', 'k10', 'k9', '', '🗝', '__proto__', 'constructor'];

/** A random permutation of `items` drawn from `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Two ids of each shape, in both age orders: [shape, older, younger]. */
export function pairs(random: () => number): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const { shape, ids } of idShapes(random)) {
    const [a, b] = shuffled(ids, random);
    out.push([shape, a!, b!], [shape, b!, a!]);
  }
  return out;
}

/** `n` ids of each shape, shuffled: their order is the order the transactions start in. */
export function groups(random: () => number, n: number): Array<{ shape: string; ids: string[] }> {
  return idShapes(random).map(({ shape, ids }) => ({ shape, ids: shuffled(ids, random).slice(0, n) }));
}
