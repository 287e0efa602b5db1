/**
 * Seeded randomness for hidden suites. The suite's seed comes from the verifier (`--seed N`),
 * so any failure replays exactly; each test derives its own stream from it by a label, so adding
 * a test does not change the numbers another test sees.
 */
import { vi } from 'vitest';
import { ENV } from '../protocol.ts';

/** Seed used when a suite runs outside the verifier (e.g. the project's own tests). */
export const DEFAULT_SEED = 1;

export function suiteSeed(): number {
  const raw = process.env[ENV.seed];
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const seed = Number(raw);
  return Number.isSafeInteger(seed) ? seed : DEFAULT_SEED;
}

/** FNV-1a over a string, to turn labels into seeds. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast and good enough to drive tests; returns floats in [0, 1). */
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

/** A random stream for one test, derived from the suite seed and the test's label. */
export function streamFor(label: string): () => number {
  return prng((suiteSeed() ^ hashLabel(label)) >>> 0);
}

/** Makes Math.random() return numbers from `source` until the test ends (the setup file restores it). */
export function controlMathRandom(source: () => number): void {
  vi.spyOn(Math, 'random').mockImplementation(source);
}
