/**
 * From a failing run to the counterexample a learner reads: first replay the seed once more to
 * check that the run is deterministic (else nothing about it can be trusted, and the verdict says
 * why), then shrink its fault schedule with ddmin, keeping a smaller schedule only while the same
 * check fails the same way, within a budget of CPU time. The runs are made by the caller's `runner`.
 */
import type { Simulation } from '../../sim/simulation.ts';
import { describeStep, story, type FaultStep, type StepId } from '../../sim/schedule.ts';
import { ddmin, describeEvent, failureSignature, firstDivergence, nodeOf, traceHash } from './shrink.ts';

/** One run of the scenario on the failing seed: `error` undefined when it passed. */
export interface ScenarioRun {
  error: unknown;
  failed: boolean;
  sim: Simulation<any, any> | undefined;
}

/** Runs the scenario on the failing seed keeping only the steps in `keep` (all when undefined). */
export type Runner = (keep: ReadonlySet<StepId> | undefined) => ScenarioRun;

export interface Counterexample {
  /** The run to explain: the shrunk one, or the original when nothing could be dropped. */
  run: ScenarioRun;
  /** The steps kept (for the replay command); undefined when the run explained is the seed's full run. */
  keep: StepId[] | undefined;
  /** Fault steps (faults, and messages the network lost or duplicated) of the original failing run. */
  originalFaults: number;
  /** The faults of the run explained, as a numbered story. */
  story: string[];
  /** Droppable client operations of the original run, and those of the run explained (as sentences). */
  originalOperations: number;
  operations: string[];
  /** Set when the shrunk run left out every step the original made after this time (ms): the run is shortened to it. */
  quietAfter?: number;
  /** CPU time spent on the replay and the shrinking, ms; and how many runs it took. */
  cpuMs: number;
  runs: number;
  /** Set when replaying the seed gave another run: what differed, for the learner. */
  nondeterminism?: string;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const ADVICE =
  'A node must take everything from its context: ctx.now() rather than Date.now(), ctx.setTimer rather than real timers, ' +
  'ctx.random() rather than Math.random(), and no state at module level (a variable outside the node\'s factory or class is ' +
  'shared by every node of the run and kept from one run to the next). Until the run replays the same, its seed cannot be trusted ' +
  'to reproduce it, so its faults were not shrunk.';

/** Compares the failing run with its replay; a learner-facing explanation when they differ. */
export function checkDeterminism(first: ScenarioRun, replay: ScenarioRun, seed: number): string | undefined {
  const a = first.sim?.trace ?? [];
  const b = replay.sim?.trace ?? [];
  const sameTrace = traceHash(a) === traceHash(b);
  if (sameTrace && replay.failed && failureSignature(replay.error) === failureSignature(first.error)) return undefined;
  const outcome = !replay.failed ? 'the replay passed' : sameTrace ? 'the replay failed another way' : 'the replay failed too, but on another path';
  const lines = [`Not deterministic: seed ${seed} was run twice and did not give the same run (${outcome}).`];
  const diverged = sameTrace ? undefined : firstDivergence(a, b);
  if (diverged) {
    const who = nodeOf(diverged.first) ?? nodeOf(diverged.replay);
    lines.push(
      `They part at event ${diverged.index + 1} of the trace: the first run had ${describeEvent(diverged.first)}; ` +
        `the replay had ${describeEvent(diverged.replay)}.` + (who ? ` Look at what ${who}'s code did just before.` : ''),
    );
  }
  lines.push(ADVICE);
  return lines.join('\n');
}

const isOperation = (step: FaultStep) => step.lane === 'operation';

/** The operations of a run as sentences: "c1 writes x=3 at n2 at 340 ms (answered at 352 ms)." */
export function operationLines(steps: readonly FaultStep[], allNodes: readonly string[]): string[] {
  return steps.filter(isOperation).map((step) => describeStep(step, allNodes));
}

/**
 * The counterexample for `first`, a failing run of `seed` made with the plan `plan` (undefined:
 * every step). `budgetMs` of CPU time bounds the replay and shrinking together, and shrinking
 * stops at `deadline` (a performance.now() time) too: on a busy machine the check's own time
 * limit, which is wall-clock time, must not cut the verdict off. Three passes: the run is first
 * shortened (the fewest first steps, in time order, with which it still fails: nothing new starts
 * after them), then its faults are shrunk by ddmin, then its client operations.
 */
export function findCounterexample(first: ScenarioRun, plan: ReadonlySet<StepId> | undefined, runner: Runner, seed: number, budgetMs: number, deadline = Infinity): Counterexample {
  const start = cpuMs();
  let runs = 0;
  const run: Runner = (keep) => {
    runs++;
    return runner(keep);
  };
  const steps = first.sim?.faults.active() ?? [];
  const originalFaults = steps.filter((s) => !isOperation(s)).length;
  const originalOperations = steps.length - originalFaults;
  const ids = first.sim?.ids ?? [];
  const whole = (extra: Partial<Counterexample> = {}): Counterexample => ({
    run: first, keep: plan === undefined ? undefined : steps.map((s) => s.id), originalFaults, originalOperations,
    story: story(steps.filter((s) => !isOperation(s)), ids), operations: operationLines(steps, ids), cpuMs: cpuMs() - start, runs, ...extra,
  });
  if (!first.sim) return whole();

  const nondeterminism = checkDeterminism(first, run(plan), seed);
  if (nondeterminism) return whole({ nondeterminism });
  if (steps.length === 0) return whole();

  const signature = failureSignature(first.error);
  const outOfBudget = () => cpuMs() - start > budgetMs || performance.now() > deadline;
  const lane = new Map(steps.map((s) => [s.id, s] as const));
  let best: { keep: StepId[]; run: ScenarioRun } | undefined;
  /** Runs with `keep`; the steps of it the run reached when it failed the same way, else undefined. */
  const test = (keep: readonly StepId[]): StepId[] | undefined => {
    const candidate = run(new Set(keep));
    if (!candidate.failed || failureSignature(candidate.error) !== signature) return undefined;
    // Steps the run never reached (it failed before they came) are not needed: dropped at once.
    const reached = new Set(candidate.sim?.faults.active().map((s) => s.id));
    const needed = keep.filter((id) => reached.has(id));
    best = { keep: needed, run: candidate };
    return needed;
  };

  // 1. Shorten: the fewest first steps with which it still fails (a binary search; the whole run fails).
  let current = steps.map((s) => s.id);
  const inTime = [...steps].sort((a, b) => a.at - b.at).map((s) => s.id);
  let [lo, hi] = [0, inTime.length];
  while (lo < hi && !outOfBudget()) {
    const mid = Math.floor((lo + hi) / 2);
    const kept = test(inTime.slice(0, mid));
    if (kept) {
      current = kept;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  // 2. Faults, the operations kept; 3. operations, the faults kept; 4. faults again, when fewer
  // operations may have made some of them unneeded.
  let before = current.length;
  for (const [pass, operations] of [false, true, false].entries()) {
    if (pass === 2 && current.length === before) break;
    if (pass === 1) before = current.length;
    const mine = (id: StepId) => isOperation(lane.get(id)!) === operations;
    let others = current.filter((id) => !mine(id));
    const kept = ddmin(current.filter(mine), (subset) => {
      const needed = test([...subset, ...others]);
      if (!needed) return false;
      others = needed.filter((id) => !mine(id));
      return needed.filter(mine);
    }, outOfBudget);
    current = [...kept, ...others];
  }
  let shown = best as { keep: StepId[]; run: ScenarioRun } | undefined;
  const same = (a: readonly StepId[], b: readonly StepId[]) => a.length === b.length && a.every((id) => b.includes(id));
  // The run to show is the one made with the plan the replay command names: made again if need be.
  if (shown && !same(shown.keep, current)) shown = test(current) && best;
  if (!shown?.run.sim || !same(shown.keep, current)) return whole();
  const active = shown.run.sim.faults.active();
  const last = Math.max(0, ...active.map((s) => s.at));
  const shortened = steps.some((s) => s.at > last);
  return {
    run: shown.run, keep: shown.keep, originalFaults, originalOperations, ...(shortened ? { quietAfter: last } : {}),
    story: story(active.filter((s) => !isOperation(s)), ids), operations: operationLines(active, ids), cpuMs: cpuMs() - start, runs,
  };
}
