/**
 * Simulated scenarios in hidden suites: run a scenario over many seeds, and when one fails, explain
 * it with the message timeline of the simulation it made, its seed, and the command that replays it.
 */
import { basename } from 'node:path';
import { Simulation, SimulationViolation, renderTimeline, seedsFrom, type NodeId, type SimNode, type SimulationOptions, type TraceEvent } from '../../sim/index.ts';
import { ENV } from '../protocol.ts';
import type { SometimesCount } from '../protocol.ts';
import { LearnerFailure, describeThrown } from './failure.ts';
import { ProgressFailure } from './progress.ts';
import { suiteSeed } from './random.ts';
import { SometimesTally, reportCounts, vacuity, withTally } from './sometimes.ts';
import { learnDsCommand } from '../../command.ts';
import { recordFailedRun } from './record.ts';

/** Overrides how many seeds each scenario runs (e.g. LEARN_DS_SCENARIOS=1000 for a long hunt). */
export const SCENARIOS_ENV = 'LEARN_DS_SCENARIOS';

let current: Simulation<any, any> | undefined;

/** Makes a simulation; if the scenario fails, its timeline explains the failure. */
export function simulate<M, N extends SimNode<M>>(options: SimulationOptions<M, N>): Simulation<M, N> {
  const sim = new Simulation(options);
  current = sim;
  return sim;
}

export interface ScenarioOptions {
  /** How many seeds to run (default 100; $LEARN_DS_SCENARIOS overrides). */
  seeds?: number;
  /** Timeline rows to show (default 24). */
  rows?: number;
  /** Show timer firings in the timeline. */
  timers?: boolean;
  /** Lanes of the timeline (default: the simulation's nodes). */
  lanes?: readonly NodeId[];
  /** Only events involving these endpoints (default: all). */
  focus?: readonly NodeId[];
  describe?: (message: unknown) => string;
  /** Keep only the timeline events this accepts (e.g. hide a steady background of requests). */
  filter?: (event: TraceEvent) => boolean;
  /**
   * Labels of sometimes() that this scenario exists to reach: one that no seed reaches fails the
   * suite as a learn-ds bug (when the learner's code passed). Labels first seen in sometimes()
   * calls count too.
   */
  sometimes?: readonly string[];
}

function seedCount(fallback: number): number {
  const raw = Number(process.env[SCENARIOS_ENV]);
  return Number.isSafeInteger(raw) && raw > 0 ? raw : fallback;
}

function replayCommand(seed: number): string {
  const dir = process.env[ENV.exerciseDir];
  return `${learnDsCommand()} verify ${dir ? basename(dir) : '<id>'} --seed ${seed}`;
}

/** The learner-facing failure for a scenario that failed under `seed`. */
export function explainScenarioFailure(error: unknown, seed: number, sim: Simulation<any, any> | undefined, options: ScenarioOptions = {}): LearnerFailure {
  const message = error instanceof LearnerFailure || error instanceof SimulationViolation ? error.message : describeThrown(error);
  recordFailedRun({ error, message, seed, sim }); // for `learn-ds explain`; never changes the verdict
  const parts: string[] = [];
  // A liveness failure is explained by the timeline since the faults ended, drawn below.
  const since = error instanceof ProgressFailure ? error.since : undefined;
  if (error instanceof LearnerFailure && error.learnerDetail && since === undefined) parts.push(error.learnerDetail);
  // A timeline with nothing in it (say, a node that threw as it started) would only add noise.
  if (sim && sim.trace.length > 0) {
    const until = error instanceof SimulationViolation ? error.time : sim.now;
    parts.push(renderTimeline(sim.trace, {
      lanes: options.lanes ?? sim.ids,
      rows: options.rows ?? (since === undefined ? 24 : 40),
      until,
      ...(since === undefined ? {} : { since }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      ...(options.describe === undefined ? {} : { describe: options.describe }),
      ...(options.focus === undefined ? {} : { focus: options.focus }),
      ...(options.filter === undefined ? {} : { filter: options.filter }),
    }));
  }
  parts.push(`scenario seed ${seed} · replay it first: ${replayCommand(seed)}`);
  return new LearnerFailure(`${message} (scenario seed ${seed})`, parts.join('\n\n'));
}

/**
 * Runs `scenario` once per seed (the suite's seed, then the next ones) and fails with the first
 * failure explained. The scenario builds its world with `simulate()`. Returns how many seeds
 * reached each sometimes() label (also attached to the check); when every seed passed and a label
 * was reached by none, fails with a SuiteBug instead (unless $LEARN_DS_SCENARIOS ran fewer seeds
 * than the suite asks for).
 */
export function checkScenario(options: ScenarioOptions, scenario: (seed: number) => void): SometimesCount[] {
  const asked = options.seeds ?? 100;
  const count = seedCount(asked);
  const tally = new SometimesTally(options.sometimes);
  for (const seed of seedsFrom(suiteSeed(), count)) {
    current = undefined;
    try {
      withTally(tally, () => scenario(seed));
    } catch (error) {
      throw explainScenarioFailure(error, seed, current, options);
    }
    tally.seedPassed();
  }
  current = undefined;
  const counts = tally.counts();
  reportCounts(counts);
  const bug = count >= asked ? vacuity(counts) : undefined;
  if (bug) throw bug;
  return counts;
}
