/**
 * Simulated scenarios in hidden suites: run a scenario over many seeds, and when one fails, explain
 * it with the message timeline of the simulation it made, its seed, and the command that replays it.
 * Before explaining, the failing seed is replayed (it must give the same run) and its faults are
 * shrunk to the fewest with which the same check still fails (counterexample.ts); the replay command
 * names that shrunk schedule (`--faults 2,5@k3f`: keep steps 2 and 5 in check k3f).
 */
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TestRunner } from 'vitest';
import { Simulation, SimulationViolation, renderTimeline, seedsFrom, type NodeId, type SimNode, type SimulationOptions, type TraceEvent } from '../../sim/index.ts';
import { ENV } from '../protocol.ts';
import type { SometimesCount } from '../protocol.ts';
import { LearnerFailure, describeThrown } from './failure.ts';
import { ProgressFailure } from './progress.ts';
import { suiteSeed } from './random.ts';
import { SometimesTally, reportCounts, vacuity, withTally } from './sometimes.ts';
import { learnDsCommand } from '../../command.ts';
import { FAULTS_ENV, FAULTS_SEEN_ENV, decodePlan, encodePlan, type StepId } from '../../sim/schedule.ts';
import { hashString } from '../../sim/random.ts';
import { findCounterexample, type ScenarioRun } from './counterexample.ts';
import { recordFailedRun } from './record.ts';
import { seedsDone } from './progress-writer.ts';

/** Overrides how many seeds each scenario runs (e.g. LEARN_DS_SCENARIOS=1000 for a long hunt). */
export const SCENARIOS_ENV = 'LEARN_DS_SCENARIOS';

let current: Simulation<any, any> | undefined;
/** The fault steps the simulations of the run under way keep (undefined: all); set by checkScenario. */
let plan: ReadonlySet<StepId> | undefined;

/** Makes a simulation; if the scenario fails, its timeline explains the failure. */
export function simulate<M, N extends SimNode<M>>(options: SimulationOptions<M, N>): Simulation<M, N> {
  const sim = new Simulation(options);
  sim.faults.keep = plan;
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

function replayCommand(seed: number, faults: string | undefined): string {
  const dir = process.env[ENV.exerciseDir];
  return `${learnDsCommand()} verify ${dir ? basename(dir) : '<id>'} --seed ${seed}${faults === undefined ? '' : ` --faults ${faults}`}`;
}

/** What checkScenario found out about a failure before explaining it. */
export interface FailureStory {
  /** The faults of the run explained (the shrunk one), as a numbered story. */
  schedule?: string[];
  /** How many faults the original failing run had. */
  originalFaults?: number;
  /** The droppable client operations of the run explained (sentences), and how many the original run had. */
  operations?: string[];
  originalOperations?: number;
  /** CPU time the replay and the shrinking took, ms. */
  shrinkMs?: number;
  /** The shrunk run starts no fault or operation after this time (ms), where the original did. */
  quietAfter?: number;
  /** The plan the replay command names (`2,5@k3f`), when the run explained is not the seed's full run. */
  faults?: string;
  /** Why the seed cannot be trusted: its replay gave another run. */
  nondeterminism?: string;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The schedule's paragraph: the shrunk story, and what it was shrunk from. */
function describeSchedule(story: FailureStory): string | undefined {
  const { schedule, originalFaults } = story;
  if (schedule === undefined) return undefined;
  const original = originalFaults ?? schedule.length;
  const took = story.shrinkMs === undefined ? '' : `, shrunk in ${(story.shrinkMs / 1000).toFixed(1)} s`;
  if (schedule.length === 0) {
    return original === 0 ? undefined : `It fails with no fault at all: the run had ${plural(original, 'fault')}, none of which it needs (replayed without them${took}).`;
  }
  const head = schedule.length < original
    ? `The same check still fails with only ${schedule.length === 1 ? 'this fault' : `these ${schedule.length} faults`} of the run's ${original}${took}:`
    : `Faults of this run (each of them is needed for it to fail this way${took}):`;
  return [head, ...schedule.map((line) => `  ${line}`)].join('\n');
}

/** The client operations' paragraph, when the scenario let shrinking drop some. */
function describeOperations(story: FailureStory): string | undefined {
  const { operations, originalOperations } = story;
  if (operations === undefined || !originalOperations) return undefined;
  if (operations.length === originalOperations) return `It needs every one of the run's ${plural(originalOperations, 'client operation')}.`;
  if (operations.length === 0) return `It needs none of the run's ${plural(originalOperations, 'client operation')}.`;
  const head = `It needs only ${plural(operations.length, 'client operation')} of the run's ${originalOperations}`;
  return operations.length <= 8 ? [`${head}:`, ...operations.map((line) => `  - ${line}`)].join('\n') : `${head} (the others were left out).`;
}

/** The learner-facing failure for a scenario that failed under `seed`. */
export function explainScenarioFailure(error: unknown, seed: number, sim: Simulation<any, any> | undefined, options: ScenarioOptions & FailureStory = {}): LearnerFailure {
  const message = error instanceof LearnerFailure || error instanceof SimulationViolation ? error.message : describeThrown(error);
  recordFailedRun({ error, message, seed, sim, ...(options.schedule ? { schedule: options.schedule } : {}) }); // for `learn-ds explain`; never changes the verdict
  const parts: string[] = [];
  // A liveness failure is explained by the timeline since the faults ended, drawn below.
  const since = error instanceof ProgressFailure ? error.since : undefined;
  if (error instanceof LearnerFailure && error.learnerDetail && since === undefined) parts.push(error.learnerDetail);
  if (options.nondeterminism) parts.push(options.nondeterminism);
  if (options.quietAfter !== undefined) parts.push(`The run is shortened: no fault or client operation of it starts after ${Math.round(options.quietAfter)} ms.`);
  const schedule = describeSchedule(options);
  if (schedule) parts.push(schedule);
  const operations = describeOperations(options);
  if (operations) parts.push(operations);
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
  parts.push(`scenario seed ${seed} · replay it first: ${replayCommand(seed, options.faults)}`);
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
  const check = checkId(scenario);
  const replay = replayPlan(check);
  const started = performance.now();
  let ran = 0;
  for (const seed of seedsFrom(suiteSeed(), count)) {
    // A replayed schedule (--faults) is for this check's first seed, the one that failed.
    const keep = replay && seed === suiteSeed() ? replay : undefined;
    const run = runScenario(() => withTally(tally, () => scenario(seed)), keep);
    if (keep) tellReplayed(check, seed, run.failed);
    if (run.failed) throw explainShrunk(run, seed, keep, scenario, check, options, started);
    tally.seedPassed();
    seedsDone(++ran, count); // the CLI's progress bar moves within a long check
  }
  current = undefined;
  const counts = tally.counts();
  reportCounts(counts);
  const bug = count >= asked && replay === undefined ? vacuity(counts) : undefined;
  if (bug) throw bug;
  return counts;
}

/** One run of a scenario with the plan `keep`: how it ended and the simulation it made. */
function runScenario(body: () => void, keep: ReadonlySet<StepId> | undefined): ScenarioRun {
  current = undefined;
  plan = keep;
  try {
    body();
    return { error: undefined, failed: false, sim: current };
  } catch (error) {
    return { error, failed: true, sim: current };
  } finally {
    plan = undefined;
    current = undefined;
  }
}

/** Overrides the CPU time (ms) one failing check may spend on its replay and shrinking. */
export const SHRINK_ENV = 'LEARN_DS_SHRINK_MS';
/** Spent on shrinking by this process so far (ms): all checks together stay within a share of the run's limit. */
let shrinkSpent = 0;

/** A new run has its whole shrinking budget (a thread may serve several runs: setup.ts). */
export function resetShrinkBudget(): void {
  shrinkSpent = 0;
}

function shrinkBudgetMs(): number {
  const own = Number(process.env[SHRINK_ENV]);
  if (Number.isFinite(own) && own >= 0) return own;
  // A quarter of the run's limit (twice the test timeout), 6 s at most, 2 s for one check.
  const testTimeout = Number(process.env[ENV.testTimeoutMs]);
  const total = Math.min(6_000, Number.isFinite(testTimeout) && testTimeout > 0 ? testTimeout / 2 : 6_000);
  return Math.max(0, Math.min(2_000, total - shrinkSpent));
}

/** Replays the failing seed, shrinks its faults and explains the smallest run that fails the same way. */
function explainShrunk(
  first: ScenarioRun, seed: number, keep: ReadonlySet<StepId> | undefined, scenario: (seed: number) => void, check: string, options: ScenarioOptions, started: number,
): LearnerFailure {
  const test = TestRunner.getCurrentTest();
  const figures = test?.meta.figures?.length;
  // The check's time limit is wall-clock time: shrinking stops well before it (at 60% of it, from the check's start).
  const testTimeout = Number(process.env[ENV.testTimeoutMs]);
  const deadline = Number.isFinite(testTimeout) && testTimeout > 0 ? started + 0.6 * testTimeout : Infinity;
  const found = findCounterexample(first, keep, (k) => runScenario(() => scenario(seed), k), seed, shrinkBudgetMs(), deadline);
  shrinkSpent += found.cpuMs;
  // Figures measured by the re-runs would repeat the failing run's.
  if (test?.meta.figures && figures !== undefined) test.meta.figures.length = figures;
  return explainScenarioFailure(found.run.error, seed, found.run.sim, {
    ...options,
    schedule: found.story,
    originalFaults: found.originalFaults,
    operations: found.operations,
    originalOperations: found.originalOperations,
    ...(found.quietAfter === undefined ? {} : { quietAfter: found.quietAfter }),
    shrinkMs: found.cpuMs,
    ...(found.keep === undefined ? {} : { faults: encodePlan(found.keep, check) }),
    ...(found.nondeterminism === undefined ? {} : { nondeterminism: found.nondeterminism }),
  });
}

/**
 * A short name for this check, for `--faults`: its test's full name and the scenario's source, so
 * that a replay's plan reaches this scenario only, whatever else the suite runs before it.
 */
function checkId(scenario: (seed: number) => void): string {
  const test = TestRunner.getCurrentTest();
  const names: string[] = test ? [test.name] : [];
  for (let suite = test?.suite; suite; suite = suite.suite) if (suite.name) names.unshift(suite.name);
  return hashString(`${names.join(' > ')}\n${scenario.toString()}`).toString(36).slice(0, 4);
}

/**
 * Tells `verify --faults` (through the file it names in FAULTS_SEEN_ENV) that this check replayed
 * its plan and how that run ended, so that it can say so, or say that the plan named no check.
 */
function tellReplayed(check: string, seed: number, failed: boolean): void {
  const file = process.env[FAULTS_SEEN_ENV];
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify({ check, seed, failed })}\n`);
  } catch {
    // Only a notice is lost.
  }
}

/** The steps to keep from `--faults`, when it names this check. */
function replayPlan(check: string): ReadonlySet<StepId> | undefined {
  const decoded = decodePlan(process.env[FAULTS_ENV]);
  return decoded && decoded.check === check ? decoded.keep : undefined;
}
