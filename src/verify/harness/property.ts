/**
 * Property-based checks (fast-check) seeded by the suite's seed, failing with a learner's message
 * and the smallest counterexample instead of fast-check's own report.
 */
import fc from 'fast-check';
import { LearnerFailure, describeThrown } from './failure.ts';
import { suiteSeed } from './random.ts';

export interface HoldsOptions<Ts> {
  numRuns?: number;
  /** Describes a counterexample for a person; fast-check's stringify is used otherwise. */
  describe?: (counterexample: Ts) => string;
}

export async function holds<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  options: HoldsOptions<Ts> = {},
): Promise<void> {
  const details = await fc.check(property, { seed: suiteSeed(), numRuns: options.numRuns ?? 100 });
  if (!details.failed) return;
  const cause: unknown = details.errorInstance;
  const message = cause instanceof LearnerFailure ? cause.message : `your code threw ${describeThrown(cause)}`;
  const example = details.counterexample === null ? 'unknown' : options.describe ? options.describe(details.counterexample) : fc.stringify(details.counterexample);
  const extra = cause instanceof LearnerFailure && cause.learnerDetail ? `\n${cause.learnerDetail}` : '';
  throw new LearnerFailure(message, `counterexample: ${example}${extra}`);
}
