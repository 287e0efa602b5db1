/**
 * Vacuity checks: a scenario that never reaches the case it exists for (a second leader, a crash
 * during replication) proves nothing. `sometimes(label)` marks that a scenario reached it; over
 * all the seeds of a checkScenario run, a label reached by none fails the suite itself, as a bug
 * of learn-ds, never of the learner (and only when the learner's code passed everything else).
 */
import { TestRunner } from 'vitest';
import type { SometimesCount } from '../protocol.ts';

declare module 'vitest' {
  interface TaskMeta {
    sometimes?: SometimesCount[];
  }
}

/** A check that reached none of the cases it exists for: the suite's fault, not the learner's. */
export class SuiteBug extends Error {
  override name = 'SuiteBug';
}

/** The labels of one checkScenario run: how many seeds reached each, and which this seed reached. */
export class SometimesTally {
  readonly #reached = new Map<string, number>();
  readonly #thisSeed = new Set<string>();
  #scenarios = 0;

  constructor(declared: readonly string[] = []) {
    for (const label of declared) this.#reached.set(label, 0);
  }

  mark(label: string, reached: boolean): void {
    if (!this.#reached.has(label)) this.#reached.set(label, 0);
    if (reached) this.#thisSeed.add(label);
  }

  /** A seed passed: what it reached counts. */
  seedPassed(): void {
    this.#scenarios++;
    for (const label of this.#thisSeed) this.#reached.set(label, this.#reached.get(label)! + 1);
    this.#thisSeed.clear();
  }

  counts(): SometimesCount[] {
    return [...this.#reached].map(([label, reached]) => ({ label, reached, scenarios: this.#scenarios }));
  }
}

let active: SometimesTally | undefined;

/**
 * Marks that the current scenario reached `label` (when `reached` is truthy; a falsy one only
 * declares the label). Outside a checkScenario run it does nothing.
 */
export function sometimes(label: string, reached: unknown = true): void {
  active?.mark(label, Boolean(reached));
}

/** Runs `body` with `tally` collecting sometimes() marks. */
export function withTally<T>(tally: SometimesTally, body: () => T): T {
  const before = active;
  active = tally;
  try {
    return body();
  } finally {
    active = before;
  }
}

/** Attaches the counts to the check under way (the report carries them as `sometimes`). */
export function reportCounts(counts: readonly SometimesCount[]): void {
  const test = TestRunner.getCurrentTest();
  if (test && counts.length > 0) (test.meta.sometimes ??= []).push(...counts);
}

/** The labels no scenario reached, as the suite-bug failure to throw, or undefined. */
export function vacuity(counts: readonly SometimesCount[]): SuiteBug | undefined {
  const never = counts.filter((c) => c.reached === 0);
  if (never.length === 0) return undefined;
  const labels = never.map((c) => `"${c.label}"`).join(', ');
  const n = never[0]!.scenarios;
  return new SuiteBug(
    `learn-ds's check never reached ${labels} in ${n} scenario${n === 1 ? '' : 's'}: this check proved nothing ` +
      '(a bug in learn-ds, not in your code: please report it)',
  );
}
