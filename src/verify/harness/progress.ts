/**
 * Liveness apart from safety: once the faults are over, something must happen within a bound
 * (TigerBeetle's VOPR liveness mode). A failure names the progress that was missing, when the
 * faults ended, and carries that moment so the timeline is shown from there.
 */
import { ms } from '../../sim/format.ts';
import { renderTimeline, type Simulation } from '../../sim/index.ts';
import { LearnerFailure } from './failure.ts';

/** A liveness failure: the timeline that explains it starts at `since`, when the faults ended. */
export class ProgressFailure extends LearnerFailure {
  constructor(message: string, readonly since: number) {
    super(message);
  }
}

export interface ProgressOptions {
  /** How long progress may take, in ms of true time. */
  within: number;
  /** What progress means, for the message: "a new command commits". */
  what: string;
  /** True once the progress happened (checked now and after every event). */
  until: () => boolean;
  /** When the faults ended (default: now). */
  faultsEndedAt?: number;
}

/**
 * Runs the simulation until `until()` holds; fails (a liveness failure, its timeline from the end
 * of the faults) if it does not within `within` ms. Returns the true time it first held.
 * Judge liveness in a check of its own, apart from the safety checks of the same scenario.
 */
export function expectProgress(sim: Simulation<any, any>, options: ProgressOptions): number {
  const since = options.faultsEndedAt ?? sim.now;
  const start = sim.now;
  const t = sim.runUntilTrue(options.until, options.within - (start - since));
  if (t !== undefined) return t;
  const failure = new ProgressFailure(
    `no progress: expected ${options.what} within ${options.within} ms after the faults ended at ${ms(since)}, ` +
      `but by ${ms(sim.now)} it had not happened`,
    since,
  );
  // Outside checkScenario (which draws its own, with its lanes), the timeline comes with the failure.
  failure.learnerDetail = renderTimeline(sim.trace, { lanes: sim.ids, since, rows: 40 });
  throw failure;
}
