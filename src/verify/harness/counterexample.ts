/**
 * From a failing run to the counterexample a learner reads: first replay the seed once more to
 * check that the run is deterministic (else nothing about it can be trusted, and the verdict says
 * why), then shrink its fault schedule with ddmin, keeping a smaller schedule only while the same
 * check fails the same way, within a budget of CPU time. The runs are made by the caller's `runner`.
 */
import type { Simulation } from '../../sim/simulation.ts';
import { story } from '../../sim/schedule.ts';
import { ddmin, describeEvent, failureSignature, firstDivergence, nodeOf, traceHash } from './shrink.ts';

/** One run of the scenario on the failing seed: `error` undefined when it passed. */
export interface ScenarioRun {
  error: unknown;
  failed: boolean;
  sim: Simulation<any, any> | undefined;
}

/** Runs the scenario on the failing seed keeping only the steps in `keep` (all when undefined). */
export type Runner = (keep: ReadonlySet<number> | undefined) => ScenarioRun;

export interface Counterexample {
  /** The run to explain: the shrunk one, or the original when nothing could be dropped. */
  run: ScenarioRun;
  /** The steps kept (for the replay command); undefined when the run explained is the seed's full run. */
  keep: number[] | undefined;
  /** Fault steps of the original failing run. */
  originalFaults: number;
  /** The faults of the run explained, as a numbered story. */
  story: string[];
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

/**
 * The counterexample for `first`, a failing run of `seed` made with the plan `plan` (undefined:
 * every fault). `budgetMs` of CPU time bounds the replay and shrinking together, and shrinking
 * stops at `deadline` (a performance.now() time) too: on a busy machine the check's own time
 * limit, which is wall-clock time, must not cut the verdict off.
 */
export function findCounterexample(first: ScenarioRun, plan: ReadonlySet<number> | undefined, runner: Runner, seed: number, budgetMs: number, deadline = Infinity): Counterexample {
  const start = cpuMs();
  let runs = 0;
  const run: Runner = (keep) => {
    runs++;
    return runner(keep);
  };
  const steps = first.sim?.faults.active() ?? [];
  const originalFaults = steps.length;
  const whole = (extra: Partial<Counterexample> = {}): Counterexample => ({
    run: first, keep: plan === undefined ? undefined : steps.map((s) => s.index), originalFaults,
    story: first.sim ? story(steps, first.sim.ids) : [], cpuMs: cpuMs() - start, runs, ...extra,
  });
  if (!first.sim) return whole();

  const nondeterminism = checkDeterminism(first, run(plan), seed);
  if (nondeterminism) return whole({ nondeterminism });
  if (steps.length === 0) return whole();

  const signature = failureSignature(first.error);
  let best: { keep: number[]; run: ScenarioRun } | undefined;
  const kept = ddmin(
    steps.map((s) => s.index),
    (subset) => {
      const candidate = run(new Set(subset));
      if (!candidate.failed || failureSignature(candidate.error) !== signature) return false;
      // Faults the run never reached (it failed before they came) are not needed: dropped at once.
      const reached = new Set(candidate.sim?.faults.active().map((s) => s.index));
      const needed = subset.filter((index) => reached.has(index));
      if (best === undefined || needed.length < best.keep.length) best = { keep: needed, run: candidate };
      return needed;
    },
    () => cpuMs() - start > budgetMs || performance.now() > deadline,
  );
  if (!best?.run.sim || best.keep.length !== kept.length) return whole();
  const sim = best.run.sim;
  return { run: best.run, keep: best.keep, originalFaults, story: story(sim.faults.active(), sim.ids), cpuMs: cpuMs() - start, runs };
}
