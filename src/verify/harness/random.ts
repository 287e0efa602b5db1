/**
 * Seeded randomness for hidden suites. The suite's seed comes from the verifier (`--seed N`),
 * so any failure replays exactly; each test derives its own stream from it by a label, so adding
 * a test does not change the numbers another test sees.
 */
import { vi } from 'vitest';
import { hashString, prng } from '../../sim/random.ts';
import { ENV } from '../protocol.ts';

export { prng };

/** Seed used when a suite runs outside the verifier (e.g. the project's own tests). */
export const DEFAULT_SEED = 1;

export function suiteSeed(): number {
  const raw = process.env[ENV.seed];
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const seed = Number(raw);
  return Number.isSafeInteger(seed) ? seed : DEFAULT_SEED;
}

/** A random stream for one test, derived from the suite seed and the test's label. */
export function streamFor(label: string): () => number {
  return prng((suiteSeed() ^ hashString(label)) >>> 0);
}

/** Makes Math.random() return numbers from `source` until the test ends (the setup file restores it). */
export function controlMathRandom(source: () => number): void {
  vi.spyOn(Math, 'random').mockImplementation(source);
}
