/**
 * Runs a fast-check property that the learner wrote (where the learner writes the tests, and the
 * suite judges them): seeded by the suite, with fast-check's settings fixed by the suite whatever
 * the learner configured globally, and with a limit in CPU time, so that a property that takes too
 * long ends with a verdict of its own instead of the whole run being cut.
 */
import type { IRawProperty, Parameters as CheckParameters, RunDetails } from 'fast-check';

/** A fast-check property of any arity, sync or async, as `fc.property` and `fc.asyncProperty` make. */
export type AnyProperty = IRawProperty<unknown>;

/** Whether `value` is a fast-check property (checked by shape: what fast-check's runner calls). */
export function isProperty(value: unknown): value is AnyProperty {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return ['isAsync', 'generate', 'shrink', 'run', 'runBeforeEach', 'runAfterEach'].every((name) => typeof p[name] === 'function');
}

export interface PropertyRunOptions {
  seed: number;
  /** Runs of freshly generated values (shrinking comes on top). */
  numRuns: number;
  /** CPU time the property may use (its runs, its shrinking and its generators), in ms. */
  cpuLimitMs: number;
  /** Shrink a failure to a smaller counterexample (false: stop at the first failure). */
  shrink: boolean;
  /** An async property's run that has not settled after this many ms (real time) fails. */
  runTimeoutMs?: number;
  /** CPU time used so far by this process, in ms (tests inject their own). */
  cpuNow?: () => number;
}

export type PropertyOutcome =
  | { kind: 'held'; runs: number; cpuMs: number }
  | { kind: 'failed'; runs: number; cpuMs: number; counterexample: string; error: unknown }
  /** The limit was reached before any failure was seen. */
  | { kind: 'out-of-time'; runs: number; cpuMs: number }
  /** Every generated value was rejected (fc.pre) too many times. */
  | { kind: 'skipped'; runs: number; cpuMs: number }
  /** fast-check itself refused to run it (a broken property, a bad setting). */
  | { kind: 'broken'; runs: number; cpuMs: number; error: unknown };

/** CPU time of the process (the worker's own thread and the rest), as the verifier's limit counts it. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Every setting fast-check reads, so that nothing the learner configured globally applies. */
function fixedParameters(options: PropertyRunOptions): CheckParameters<unknown> & { noGlobalPlugins: boolean } {
  return {
    seed: options.seed,
    numRuns: options.numRuns,
    endOnFailure: !options.shrink,
    randomType: 'xorshift128plus',
    maxSkipsPerRun: 100,
    timeout: options.runTimeoutMs,
    skipAllAfterTimeLimit: undefined,
    interruptAfterTimeLimit: undefined,
    markInterruptAsFailure: false,
    skipEqualValues: false,
    ignoreEqualValues: false,
    path: '',
    unbiased: false,
    verbose: 0,
    examples: [],
    reporter: undefined,
    asyncReporter: undefined,
    noGlobalPlugins: true,
  };
}

/**
 * Runs `property` as `fc.check` would, under a CPU limit. The limit is checked before each run:
 * once it is spent, fast-check is told to stop (as its own time limits do), and a failure already
 * seen is reported with the smallest counterexample found so far. A single run that never returns
 * is not cut here: the verifier's limit on the whole run is the backstop.
 */
export async function runProperty(property: AnyProperty, options: PropertyRunOptions): Promise<PropertyOutcome> {
  // Loaded here, not at the top, as holds() does: most suites never run a learner's property.
  const { default: fc } = await import('fast-check');
  const cpuNow = options.cpuNow ?? processCpuMs;
  const start = cpuNow();
  let runs = 0;
  let outOfTime = false;
  let lastFailure: { value: unknown; error: unknown } | undefined;
  const overBudget = () => cpuNow() - start >= options.cpuLimitMs;
  const interrupt = () => new fc.PreconditionFailure(true);
  const noteResult = (value: unknown, out: unknown) => {
    if (out !== null && out !== undefined && !fc.PreconditionFailure.isFailure(out)) lastFailure = { value, error: (out as { error: unknown }).error };
    return out;
  };
  // Delegates to the learner's property, with `this` its own (its methods may use private fields).
  const guarded = {
    isAsync: () => property.isAsync(),
    generate: (...args: Parameters<AnyProperty['generate']>) => property.generate(...args),
    shrink: (...args: Parameters<AnyProperty['shrink']>) => property.shrink(...args),
    runBeforeEach: () => property.runBeforeEach(),
    runAfterEach: () => property.runAfterEach(),
    run: (value: unknown) => {
      if (overBudget()) {
        outOfTime = true;
        return property.isAsync() ? Promise.resolve(interrupt()) : interrupt();
      }
      runs++;
      const out = property.run(value) as unknown;
      return out instanceof Promise ? out.then((o: unknown) => noteResult(value, o)) : noteResult(value, out);
    },
  } as AnyProperty;
  const cpuMs = () => cpuNow() - start;
  let details: RunDetails<unknown>;
  try {
    details = await fc.check(guarded, fixedParameters(options));
  } catch (error) {
    return { kind: 'broken', runs, cpuMs: cpuMs(), error };
  }
  if (details.failed && details.counterexample !== null) {
    return { kind: 'failed', runs, cpuMs: cpuMs(), counterexample: fc.stringify(details.counterexample), error: details.errorInstance };
  }
  if (lastFailure) {
    // Interrupted while shrinking: the smallest failing value seen so far.
    return { kind: 'failed', runs, cpuMs: cpuMs(), counterexample: fc.stringify(lastFailure.value), error: lastFailure.error };
  }
  if (outOfTime) return { kind: 'out-of-time', runs, cpuMs: cpuMs() };
  if (details.failed) return { kind: 'skipped', runs, cpuMs: cpuMs() };
  return { kind: 'held', runs, cpuMs: cpuMs() };
}
