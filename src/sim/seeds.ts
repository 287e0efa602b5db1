/**
 * Many seeds: a scenario is run once per seed and the first failure is kept, with its seed, so that
 * it replays exactly. Seeds are consecutive from a base, so replaying a failing seed as the base
 * runs that scenario first.
 */
export interface SeedFailure {
  seed: number;
  error: unknown;
}

export function seedsFrom(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

/** Runs `scenario` for each seed; returns the first failure, or undefined when all pass. */
export function firstFailure(seeds: Iterable<number>, scenario: (seed: number) => void): SeedFailure | undefined {
  for (const seed of seeds) {
    try {
      scenario(seed);
    } catch (error) {
      return { seed, error };
    }
  }
  return undefined;
}
