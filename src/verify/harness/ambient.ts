/**
 * In a simulated exercise, node code lives in the simulator's world: its clock is ctx.now(), its
 * timers ctx.setTimer, its dice ctx.random(). Node code that reaches for the real ones instead
 * (setTimeout, setInterval, Date.now(), performance.now(), Math.random()) breaks virtual time and
 * replay in ways that surface as a rule failure far from the cause; so while the simulator runs
 * node code (its hook around every call into a node), those globals are traps that name the mistake.
 */
import { setAroundNodeCode } from '../../sim/simulation.ts';
import type { NodeId } from '../../sim/index.ts';
import { LearnerFailure } from './failure.ts';

const ADVICE = {
  setTimeout: 'use ctx.setTimer(delayMs, callback) (and ctx.cancelTimer): a real timer fires outside the simulation\'s virtual time',
  setInterval: 'use ctx.setTimer(delayMs, callback) and set it again from its callback: a real interval fires outside the simulation\'s virtual time',
  'Date.now()': 'use ctx.now(): the node\'s own clock in the simulation (virtual, and skewed where the scenario says so)',
  'performance.now()': 'use ctx.now(): the node\'s own clock in the simulation (virtual, and skewed where the scenario says so)',
  'Math.random()': 'use ctx.random(): it is seeded, so that a failing scenario replays exactly',
} as const;

/** Misuses since the last check ended: reported even if node code caught the trap's error. */
const misuses: string[] = [];

function trap(node: NodeId, what: keyof typeof ADVICE): () => never {
  return () => {
    const message = `node ${node} called ${what}: in the simulator, ${ADVICE[what]}`;
    if (!misuses.includes(message)) misuses.push(message);
    throw new LearnerFailure(message);
  };
}

function aroundNodeCode(node: NodeId, run: () => void): void {
  const saved = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval, dateNow: Date.now, perfNow: performance.now, random: Math.random };
  // performance.now is Performance.prototype's: the trap is the object's own, removed after.
  const ownPerfNow = Object.prototype.hasOwnProperty.call(performance, 'now');
  globalThis.setTimeout = trap(node, 'setTimeout') as unknown as typeof setTimeout;
  globalThis.setInterval = trap(node, 'setInterval') as unknown as typeof setInterval;
  Date.now = trap(node, 'Date.now()');
  performance.now = trap(node, 'performance.now()');
  Math.random = trap(node, 'Math.random()');
  try {
    run();
  } finally {
    globalThis.setTimeout = saved.setTimeout;
    globalThis.setInterval = saved.setInterval;
    Date.now = saved.dateNow;
    if (ownPerfNow) performance.now = saved.perfNow;
    else delete (performance as { now?: unknown }).now;
    Math.random = saved.random;
  }
}

export function trapAmbientGlobals(): void {
  setAroundNodeCode(aroundNodeCode);
}

/** The misuses seen since the last call (the setup file fails the check with the first). */
export function takeMisuses(): string[] {
  return misuses.splice(0);
}
