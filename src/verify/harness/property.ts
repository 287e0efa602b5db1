/**
 * Property-based checks (fast-check) seeded by the suite's seed, failing with a learner's message
 * and the smallest counterexample instead of fast-check's own report.
 */
import type { IAsyncProperty, IProperty } from 'fast-check';
import { LearnerFailure, describeThrown } from './failure.ts';
import { suiteSeed } from './random.ts';

export interface HoldsOptions<Ts> {
  numRuns?: number;
  /** Describes a counterexample for a person; fast-check's stringify is used otherwise. */
  describe?: (counterexample: Ts) => string;
}

export async function holds<Ts>(
  property: IProperty<Ts> | IAsyncProperty<Ts>,
  options: HoldsOptions<Ts> = {},
): Promise<void> {
  // Loaded here, not at the top: every hidden suite imports the harness, and most never call holds
  // (fast-check costs about 20 ms to load, which watch mode pays on every save).
  const { default: fc } = await import('fast-check');
  const details = await fc.check(property, { seed: suiteSeed(), numRuns: options.numRuns ?? 100 });
  if (!details.failed) return;
  const cause: unknown = details.errorInstance;
  const message = cause instanceof LearnerFailure ? cause.message : `your code threw ${describeThrown(cause)}`;
  const example = details.counterexample === null ? 'unknown' : options.describe ? options.describe(details.counterexample) : fc.stringify(details.counterexample);
  const extra = cause instanceof LearnerFailure && cause.learnerDetail ? `\n${cause.learnerDetail}` : '';
  throw new LearnerFailure(message, `counterexample: ${example}${extra}`);
}
