/**
 * Helpers for the lamport-clock suite: showing and validating stamps, the model order, and a
 * simulated run of nodes that stamp local events, sends and receives, with the ground truth of
 * happened-before kept by the test's own vector clocks.
 */
import { LearnerFailure, describeThrown, fail, show, simulate } from 'learn-ds/harness';
import { SimulationViolation, uniformLatency, type NodeContext, type Simulation, type SimNode } from 'learn-ds/sim';

export { show };

export interface Stamp {
  time: number;
  node: string;
}

/** What the suite needs of a clock (the learner's, or the model below). */
export interface Clock {
  readonly time: number;
  tick(): Stamp;
  send(): Stamp;
  receive(stamp: Stamp): Stamp;
}

/** A stamp as a learner writes it: `{ time: 3, node: 'n1' }`. */
export function showStamp(stamp: Stamp): string {
  return show({ time: stamp.time, node: stamp.node });
}

/**
 * Checks that a learner's result is a stamp (an object with a number `time` and a string `node`)
 * and returns a plain copy of it, so that later changes to the learner's object do not show.
 */
export function asStamp(value: unknown, call: string | (() => string)): Stamp {
  const text = () => (typeof call === 'function' ? call() : call);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${text()} returned ${show(value)}; expected a stamp: an object { time, node }, like { time: 3, node: 'n1' }`);
  }
  const { time, node } = value as { time?: unknown; node?: unknown };
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    fail(`${text()} returned ${show(value)}: its time is ${show(time)}; expected a whole number, like { time: 3, node: 'n1' }`);
  }
  if (typeof node !== 'string') {
    fail(`${text()} returned ${show(value)}: its node is ${show(node)}; expected the clock's node id, a string`);
  }
  return { time, node };
}

/** The order the contract defines: by time, then by node id in plain string order. */
export function modelCompare(a: Stamp, b: Stamp): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** The rules, written plainly: the reference the suite judges learners' stamps against. */
export class ModelClock implements Clock {
  time = 0;
  constructor(readonly node: string) {}
  tick(): Stamp {
    this.time += 1;
    return { time: this.time, node: this.node };
  }
  send(): Stamp {
    return this.tick();
  }
  receive(stamp: Stamp): Stamp {
    this.time = Math.max(this.time, stamp.time) + 1;
    return { time: this.time, node: this.node };
  }
}

// ---- a simulated run ----

export type Kind = 'local' | 'send' | 'receive';

export interface RunEvent {
  /** e1, e2, … in the order they happened. */
  name: string;
  node: string;
  kind: Kind;
  /** "local event", "send to n3", "receive of e4 from n1 (sent at 12.0 ms)". */
  what: string;
  /** True (simulated) time in ms. */
  at: number;
  /** The stamp the clock gave this event (a validated copy). */
  stamp: Stamp;
  /** The node's previous event, if any. */
  prev: RunEvent | undefined;
  /** For a receive: the send event of the message. */
  cause: RunEvent | undefined;
  /** Ground truth: the test's own vector clock of this event. */
  vc: Readonly<Record<string, number>>;
}

/** Happened-before, from the run itself (vector clocks kept by the test, not by the learner). */
export function happenedBefore(a: RunEvent, b: RunEvent): boolean {
  return a !== b && a.vc[a.node]! <= (b.vc[a.node] ?? 0);
}

/** "e4 at n1 (send to n3)". */
export function named(e: RunEvent): string {
  return `${e.name} at ${e.node} (${e.what})`;
}

interface Msg {
  type: 'stamped';
  /** The send event's name, for the timeline and the ground truth. */
  event: string;
  stamp: Stamp;
}

export interface RunOptions {
  seed: number;
  /** Makes each node's clock (the learner's LamportClock, or the model). */
  clock: (id: string) => Clock;
  /** Called after every event; throw `run.sim.violation(...)` to stop at it. */
  onEvent?: (event: RunEvent, run: Run) => void;
}

export interface Run {
  sim: Simulation<Msg, SimNode<Msg>>;
  events: RunEvent[];
}

/** Ids of several shapes, whose plain string order is neither numeric nor alphabetical-ignoring-case: 'Bob' < 'n10' < 'n2' < 'ñ3'. */
const NODES = ['n2', 'n10', 'Bob', 'ñ3'];
/** Actions (local events and sends) each node starts, after its first local event. */
const ACTIONS = 7;

/** How a message shows in the timeline. */
export function describeMessage(message: unknown): string {
  const m = message as Partial<Msg>;
  return m && typeof m === 'object' && m.stamp ? `${m.event}'s message, stamped ${showStamp(m.stamp)}` : show(message);
}

/**
 * Four nodes, each with its own clock: each does a local event at 0 ms, then a few local events
 * and sends to random peers at random times; the network delays messages by 1-40 ms (so they
 * overtake each other) and duplicates some. Every receive is an event too.
 */
export function runExchange(options: RunOptions): Run {
  const events: RunEvent[] = [];
  const sent = new Map<string, RunEvent>();
  const run = {} as Run;

  const factory = (ctx: NodeContext<Msg>): SimNode<Msg> => {
    let clock: Clock;
    try {
      clock = options.clock(ctx.id);
    } catch (error) {
      // Thrown as a violation so that it reads as the learner's constructor failing, not the node.
      throw new SimulationViolation(`new LamportClock('${ctx.id}') threw ${describeThrown(error)}`, 0, options.seed, [ctx.id]);
    }
    const vc: Record<string, number> = {};
    let last: RunEvent | undefined;
    let actions = 0;

    const record = (kind: Kind, what: string, stamped: () => unknown, call: string, cause?: RunEvent): RunEvent => {
      let result: unknown;
      try {
        result = stamped();
      } catch (error) {
        run.sim.violation(`${ctx.id}'s ${call} threw ${describeThrown(error)} (at ${run.sim.now.toFixed(1)} ms, for a ${what})`, [ctx.id]);
      }
      try {
        const stamp = asStamp(result, () => `${ctx.id}'s ${call}`);
        if (cause) for (const [n, c] of Object.entries(cause.vc)) vc[n] = Math.max(vc[n] ?? 0, c);
        vc[ctx.id] = (vc[ctx.id] ?? 0) + 1;
        const event: RunEvent = {
          name: `e${events.length + 1}`, node: ctx.id, kind, what, at: run.sim.now, stamp, prev: last, cause, vc: { ...vc },
        };
        events.push(event);
        last = event;
        ctx.log(`${event.name} ${what} → ${showStamp(stamp)}`);
        options.onEvent?.(event, run);
        return event;
      } catch (error) {
        // A failed check inside node code: report it as it is, with the timeline cut here.
        if (error instanceof LearnerFailure) run.sim.violation(error.message, [ctx.id]);
        throw error;
      }
    };

    const act = () => {
      if (ctx.random() < 0.35) {
        record('local', 'local event', () => clock.tick(), 'tick()');
      } else {
        const to = ctx.peers[Math.floor(ctx.random() * ctx.peers.length)]!;
        const event = record('send', `send to ${to}`, () => clock.send(), 'send()');
        sent.set(event.name, event);
        ctx.send(to, { type: 'stamped', event: event.name, stamp: { ...event.stamp } });
      }
      if (++actions < ACTIONS) ctx.setTimer(1 + ctx.random() * 25, act);
    };

    ctx.setTimer(0, () => {
      record('local', 'local event', () => clock.tick(), 'tick()');
      ctx.setTimer(1 + ctx.random() * 10, act);
    });

    return {
      receive(from, message) {
        const cause = sent.get(message.event)!;
        record(
          'receive',
          `receive of ${cause.name}'s message from ${from}`,
          () => clock.receive(message.stamp),
          `receive(${showStamp(cause.stamp)})`,
          cause,
        );
      },
    };
  };

  run.sim = simulate<Msg, SimNode<Msg>>({
    seed: options.seed,
    nodes: NODES,
    factory,
    network: { latency: uniformLatency(1, 40), duplicate: 0.2, loss: 0 },
    // Each message the network duplicates is a step a failure can be shrunk to.
    messageFaults: true,
  });
  run.events = events;
  run.sim.runFor(1_000);
  return run;
}
