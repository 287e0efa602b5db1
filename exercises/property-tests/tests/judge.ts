// Runs the learner's properties against one cache (shared by the hidden suite and the demo).
import { LearnerFailure, describeThrown, isProperty, runProperty, show, suiteSeed, type AnyProperty, type PropertyOutcome } from 'learn-ds/harness';
import { cacheProperties, type MakeCache } from 'learn-ds/subject/property-tests';

/** fast-check's default number of runs per property. */
export const NUM_RUNS = 100;
/** CPU time each property may use on one cache (its 100 runs, and shrinking a failure). */
export const CPU_LIMIT_MS = 1_000;
/** An async property's run that has not settled by then fails (nothing here needs to wait). */
const RUN_TIMEOUT_MS = 1_000;

export interface Named {
  name: string;
  outcome: PropertyOutcome;
}

const cut = (text: string, max = 600) => (text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text);

const EXAMPLE = "{ 'get returns what set stored': fc.property(…), … }";

/** Calls the learner's cacheProperties and checks what it returned: an object of named properties. */
export function collectProperties(make: MakeCache): Array<[string, AnyProperty]> {
  let returned: unknown;
  try {
    returned = cacheProperties(make);
  } catch (error) {
    throw new LearnerFailure(`cacheProperties(makeCache) threw ${describeThrown(error)}; expected it to return your properties, ${EXAMPLE}`);
  }
  if (typeof returned !== 'object' || returned === null || Array.isArray(returned) || isProperty(returned)) {
    const what = Array.isArray(returned) ? 'an array' : isProperty(returned) ? 'a single property' : show(returned);
    throw new LearnerFailure(`cacheProperties(makeCache) returned ${what}; expected an object whose keys name your properties, ${EXAMPLE}`);
  }
  const entries = Object.entries(returned);
  if (entries.length === 0) throw new LearnerFailure(`cacheProperties(makeCache) returned no property; expected at least one, ${EXAMPLE}`);
  const notProperty = entries.find(([, value]) => !isProperty(value));
  if (notProperty) {
    throw new LearnerFailure(
      `'${notProperty[0]}' is ${cut(show(notProperty[1]), 100)}, not a fast-check property; ` +
        'make each one with fc.property(…) or fc.asyncProperty(…), and return it without running it (no fc.assert)',
    );
  }
  return entries as Array<[string, AnyProperty]>;
}

/** Runs each property in turn, seeded by the suite's seed, each under its own CPU limit. */
export async function runAll(properties: Array<[string, AnyProperty]>, options: { shrink: boolean; stopAtFirstFailure: boolean }): Promise<Named[]> {
  const results: Named[] = [];
  for (const [name, property] of properties) {
    const outcome = await runProperty(property, { seed: suiteSeed(), numRuns: NUM_RUNS, cpuLimitMs: CPU_LIMIT_MS, runTimeoutMs: RUN_TIMEOUT_MS, shrink: options.shrink });
    results.push({ name, outcome });
    if (options.stopAtFirstFailure && outcome.kind === 'failed') break;
  }
  return results;
}

/** What went wrong with a property that did not hold on `where`, as a failure's message and detail. */
export function describeOutcome({ name, outcome }: Named, where: string): [string, string | undefined] {
  switch (outcome.kind) {
    case 'failed': {
      const error = outcome.error instanceof Error ? outcome.error.message : describeThrown(outcome.error);
      return [`your property '${name}' failed on ${where}: ${cut(error, 400)}`, `counterexample: ${cut(outcome.counterexample)}`];
    }
    case 'out-of-time':
      return [
        `your property '${name}' used more than ${CPU_LIMIT_MS / 1000} s of CPU time on ${where} and was stopped after ${outcome.runs} of its ${NUM_RUNS} runs; ` +
          'make each run cheaper (fewer operations, smaller caches, no loop that waits for something)',
        undefined,
      ];
    case 'skipped':
      return [`your property '${name}' rejected nearly every case it drew (fc.pre) on ${where}; generate the cases you want instead of filtering them`, undefined];
    case 'broken':
      return [`fast-check could not run your property '${name}': ${describeThrown(outcome.error)}`, undefined];
    case 'held':
      return [`your property '${name}' held on ${where}`, undefined];
  }
}
