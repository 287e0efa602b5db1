/**
 * A nemesis, as in Jepsen: faults drawn at random from the simulation's seed, one at a time, each
 * undone after a while: partitions (halves, one node cut off, one-way), crashes with restart,
 * process pauses (one node frozen while the world goes on), and bursts of message loss. After `until`, everything is healed and every node restarted, so that a
 * scenario can then check recovery.
 * Its draws come from a stream of its own ('nemesis'), and a fault's parameters are drawn
 * whether or not the schedule's plan suppresses it: leaving a fault out (shrinking) changes
 * neither the times nor the choices of the others.
 */
import { randomInt, shuffled, streamOf, uniform } from './random.ts';
import type { Simulation } from './simulation.ts';
import type { NodeId } from './types.ts';

export type Fault = 'partition' | 'isolate' | 'one-way' | 'crash' | 'pause' | 'loss';

export interface NemesisOptions {
  faults: readonly Fault[];
  /** Quiet time between two faults, ms (drawn uniformly). */
  gapMs?: readonly [number, number];
  /** How long a fault lasts, ms (drawn uniformly). */
  durationMs?: readonly [number, number];
  /** How long a pause lasts, ms (drawn uniformly; default durationMs). */
  pauseMs?: readonly [number, number];
  /** Loss rate during a loss burst (default 0.5). */
  lossRate?: number;
  /** True time after which no new fault starts and all are undone (default: never). */
  until?: number;
}

export interface Nemesis {
  /** Undoes the current fault and starts no more. */
  stop(): void;
}

export function startNemesis(sim: Simulation<any, any>, options: NemesisOptions): Nemesis {
  const random = streamOf(sim.seed, 'nemesis');
  const [gapMin, gapMax] = options.gapMs ?? [1_000, 3_000];
  const [durMin, durMax] = options.durationMs ?? [1_000, 5_000];
  let stopped = false;
  let undo: (() => void) | undefined;

  const finish = () => {
    undo?.();
    undo = undefined;
  };

  /** Starts a fault; returns how to undo it, and its duration when the fault drew its own. */
  const inject = (): { undo: () => void; durationMs?: number } => {
    const fault = options.faults[randomInt(random, options.faults.length)]!;
    const ids = shuffled(random, sim.ids);
    switch (fault) {
      case 'partition': {
        const cut = 1 + randomInt(random, Math.max(1, Math.floor(ids.length / 2)));
        sim.partition(ids.slice(0, cut), ids.slice(cut));
        return { undo: () => sim.heal() };
      }
      case 'isolate':
        sim.isolate(ids[0]!);
        return { undo: () => sim.heal() };
      case 'one-way':
        for (const other of ids.slice(1)) sim.blockOneWay(ids[0]!, other);
        return { undo: () => sim.heal() };
      case 'crash': {
        // Crash a minority at most, so that a majority can still make progress.
        const count = 1 + randomInt(random, Math.max(1, Math.floor((ids.length - 1) / 2)));
        const down: NodeId[] = ids.slice(0, count).filter((id) => sim.isUp(id));
        for (const id of down) sim.crash(id);
        return {
          undo: () => {
            for (const id of down) sim.restart(id);
          },
        };
      }
      case 'pause': {
        // The pause ends on its own; undoing it early (the nemesis stopped) resumes the node.
        const [min, max] = options.pauseMs ?? [durMin, durMax];
        const durationMs = uniform(random, min, max);
        const id = ids[0]!;
        sim.pause(id, durationMs);
        return { undo: () => sim.resume(id), durationMs };
      }
      case 'loss': {
        const before = sim.network.loss;
        sim.network = { ...sim.network, loss: options.lossRate ?? 0.5 };
        return {
          undo: () => {
            sim.network = { ...sim.network, loss: before };
          },
        };
      }
    }
  };

  const next = () => {
    if (stopped) return;
    sim.after(uniform(random, gapMin, gapMax), () => {
      if (stopped) return;
      // One random fault is one step of the schedule, whatever number of calls it takes.
      const fault = sim.faults.group('nemesis', inject, sim.now);
      undo = fault.undo;
      sim.after(fault.durationMs ?? uniform(random, durMin, durMax), () => {
        finish();
        next();
      });
    });
  };
  next();

  const stop = () => {
    stopped = true;
    finish();
  };
  if (options.until !== undefined) sim.at(options.until, stop);
  return { stop };
}
