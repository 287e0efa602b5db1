/**
 * Seeded randomness. Every random choice of a simulation comes from a stream derived from its seed
 * and a label, so the network's draws do not shift when a node draws one more number.
 */

/** FNV-1a over a string, to turn labels into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast and good enough to drive simulations and tests; floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream for `label` under `seed`. */
export function streamOf(seed: number, label: string): () => number {
  // Mix the seed first so that seeds 1, 2, 3… do not give streams that start alike.
  return prng((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(label)) >>> 0);
}

/** A uniform float in [min, max). */
export function uniform(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

/** A uniform integer in [0, n). */
export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
