/**
 * Helpers for the vector-clock suite: showing clocks the way a learner writes them, a model of the
 * definitions to judge results against (a missing entry is 0, extra zero entries do not matter),
 * and a small simulator of processes exchanging messages that tracks happened-before directly.
 */
import fc from 'fast-check';
import { fail, show } from 'learn-ds/harness';

export type Clock = Record<string, number>;
export type Order = 'before' | 'after' | 'equal' | 'concurrent';
export const ORDERS: readonly Order[] = ['before', 'after', 'equal', 'concurrent'];

export { show };

/** Checks that a learner's result is a clock (an object of whole numbers ≥ 0) and returns it. */
export function asClock(value: unknown, callText: string | (() => string)): Clock {
  const call = () => (typeof callText === 'function' ? callText() : callText);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map || value instanceof Set) {
    fail(`${call()} returned ${show(value)}; expected a clock: a plain object mapping node names to counters, like { alice: 2, bob: 1 }`);
  }
  const record = value as Record<string, unknown>;
  for (const node of Object.keys(record)) {
    const n = record[node];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      fail(
        `${call()} returned ${show(value)}: the entry for '${node}' is ${show(n)}; every entry must be a whole number ≥ 0 ` +
          '(a node missing from a clock counts as 0)',
      );
    }
  }
  return record as Clock;
}

/** Checks that a learner's compare result is one of the four orders. */
export function asOrder(value: unknown, callText: string | (() => string)): Order {
  if (!ORDERS.includes(value as Order)) {
    const call = typeof callText === 'function' ? callText() : callText;
    fail(`${call} returned ${show(value)}; expected one of 'before', 'after', 'equal', 'concurrent'`);
  }
  return value as Order;
}

// ---- the model: the definitions, with a missing entry counting as 0 ----

/** The entry for `node`, 0 when the clock has none. */
export function at(clock: Clock, node: string): number {
  return Object.hasOwn(clock, node) ? clock[node]! : 0;
}

/** Every node named in any of the clocks, in order of first appearance. */
export function nodesOf(...clocks: Clock[]): string[] {
  return [...new Set(clocks.flatMap((c) => Object.keys(c)))];
}

export function modelCompare(a: Clock, b: Clock): Order {
  let smaller = false;
  let larger = false;
  for (const node of nodesOf(a, b)) {
    if (at(a, node) < at(b, node)) smaller = true;
    if (at(a, node) > at(b, node)) larger = true;
  }
  return smaller && larger ? 'concurrent' : smaller ? 'before' : larger ? 'after' : 'equal';
}

export function modelMerge(a: Clock, b: Clock): Clock {
  return Object.fromEntries(nodesOf(a, b).map((node) => [node, Math.max(at(a, node), at(b, node))]));
}

export function modelIncrement(clock: Clock, node: string): Clock {
  return { ...clock, [node]: at(clock, node) + 1 };
}

/** Same counters for every node (zero entries and missing entries are the same thing). */
export function sameClock(a: Clock, b: Clock): boolean {
  return nodesOf(a, b).every((node) => at(a, node) === at(b, node));
}

/** The entries where `got` differs from `want`, for a message: "'bob' is 1, expected 4". */
export function differences(got: Clock, want: Clock): string {
  return nodesOf(want, got)
    .filter((node) => at(got, node) !== at(want, node))
    .map((node) => `'${node}' is ${Object.hasOwn(got, node) ? at(got, node) : 'missing (0)'}, expected ${at(want, node)}`)
    .join('; ');
}

export const mirror: Record<Order, Order> = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' };

// ---- inputs ----

/** Ordinary node names, not only single letters; a small pool so random clocks share nodes often. */
export const NAMES = ['alice', 'bob', 'carol', 'db-1', 'cache-eu', 'node7'] as const;

export const nodeArb = fc.constantFrom(...NAMES);

/**
 * Random clocks over NAMES with small counters, so equal, ordered and concurrent pairs all come up.
 * Entries can be 0, so equal clocks show up with different key sets. Plain objects, built fresh.
 */
export const clockArb: fc.Arbitrary<Clock> = fc
  .uniqueArray(fc.tuple(nodeArb, fc.nat({ max: 3 })), { selector: (e) => e[0], maxLength: NAMES.length })
  .map((entries) => Object.fromEntries(entries) as Clock);

/** A fresh copy, so a call that wrongly changes its input cannot disturb the other calls of a check. */
export function copy(clock: Clock): Clock {
  return { ...clock };
}

/** `clock` plus a 0 entry for each of `nodes` it does not have. */
export function padded(clock: Clock, nodes: readonly string[]): Clock {
  const result = { ...clock };
  for (const node of nodes) if (!Object.hasOwn(result, node)) result[node] = 0;
  return result;
}

/** Exactly the same own keys and values (a snapshot comparison: zero entries count here). */
export function unchanged(before: Clock, after: Clock): boolean {
  const keys = Object.keys(before);
  return keys.length === Object.keys(after).length && keys.every((k) => Object.hasOwn(after, k) && Object.is(after[k], before[k]));
}

// ---- a simulated message exchange ----

export interface ClockFunctions {
  increment(clock: Clock, node: string): Clock;
  merge(a: Clock, b: Clock): Clock;
}

export interface SimEvent {
  name: string;
  process: string;
  what: string;
  /** The clock the learner's functions gave this event. */
  clock: Clock;
  /** The clock correct functions would have given it. */
  expected: Clock;
  /** Names of every event that happened before this one (same process earlier, or through messages). */
  past: Set<string>;
}

export interface SimMessage {
  name: string;
  from: SimEvent;
  to: string;
}

/**
 * Processes exchanging messages: a local event or a send increments the process's own entry (a
 * send attaches the new clock to the message); a receive merges the attached clock into the
 * process's clock, then increments. Happened-before is tracked from the events themselves.
 */
export class Exchange {
  readonly events: SimEvent[] = [];
  private readonly last = new Map<string, SimEvent>();
  private messages = 0;

  constructor(
    private readonly fns: ClockFunctions,
    readonly processes: readonly string[],
  ) {}

  private record(process: string, name: string, what: string, clock: Clock, expected: Clock, extraPast: SimEvent | undefined): SimEvent {
    const prev = this.last.get(process);
    const past = new Set<string>();
    for (const e of [prev, extraPast]) {
      if (!e) continue;
      past.add(e.name);
      for (const p of e.past) past.add(p);
    }
    const event: SimEvent = { name, process, what, clock, expected, past };
    this.events.push(event);
    this.last.set(process, event);
    return event;
  }

  private current(process: string): { clock: Clock; expected: Clock } {
    const prev = this.last.get(process);
    return prev ? { clock: prev.clock, expected: prev.expected } : { clock: {}, expected: {} };
  }

  local(process: string, name: string): SimEvent {
    const { clock, expected } = this.current(process);
    const next = asClock(this.fns.increment(copy(clock), process), () => `increment(${show(clock)}, '${process}')`);
    return this.record(process, name, `${process}: local event`, next, modelIncrement(expected, process), undefined);
  }

  send(process: string, to: string, name: string): SimMessage {
    const { clock, expected } = this.current(process);
    const next = asClock(this.fns.increment(copy(clock), process), () => `increment(${show(clock)}, '${process}')`);
    const message = `m${++this.messages}`;
    const event = this.record(process, name, `${process}: sends ${message} to ${to}`, next, modelIncrement(expected, process), undefined);
    return { name: message, from: event, to };
  }

  receive(message: SimMessage, name: string): SimEvent {
    const process = message.to;
    const { clock, expected } = this.current(process);
    const merged = asClock(this.fns.merge(copy(clock), copy(message.from.clock)), () => `merge(${show(clock)}, ${show(message.from.clock)})`);
    const next = asClock(this.fns.increment(copy(merged), process), () => `increment(${show(merged)}, '${process}')`);
    const want = modelIncrement(modelMerge(expected, message.from.expected), process);
    return this.record(process, name, `${process}: receives ${message.name} (sent at ${message.from.name})`, next, want, message.from);
  }

  /** One line per event with the clock the learner's functions computed (and the right one if different). */
  timeline(): string {
    const nameWidth = Math.max(...this.events.map((e) => e.name.length));
    const width = Math.max(...this.events.map((e) => e.what.length));
    return this.events
      .map((e) => {
        const head = `${e.name.padEnd(nameWidth)}  ${e.what.padEnd(width)}`;
        const wrong = sameClock(e.clock, e.expected) ? '' : `   (expected ${show(e.expected)})`;
        return `  ${head}   clock ${show(e.clock)}${wrong}`;
      })
      .join('\n');
  }

  /** Happened-before between two events, from the exchange itself (not from the clocks). */
  relation(e: SimEvent, f: SimEvent): Order {
    if (e === f) return 'equal';
    if (f.past.has(e.name)) return 'before';
    if (e.past.has(f.name)) return 'after';
    return 'concurrent';
  }
}

/**
 * Three processes exchanging three messages, figure-style (the suite checks it and the demo
 * draws it):
 *   alice  a1 ── a2 (send m1 → bob) ──────────── a3 ─────────────── a4 (receive m3)
 *   bob    b1 ────────── b2 (receive m1) ── b3 (send m2 → carol)
 *   carol  c1 ──────────────────────────────── c2 (receive m2) ── c3 (send m3 → alice)
 */
export function exchangeOfThree(fns: ClockFunctions): Exchange {
  const x = new Exchange(fns, ['alice', 'bob', 'carol']);
  x.local('alice', 'a1');
  x.local('bob', 'b1');
  const m1 = x.send('alice', 'bob', 'a2');
  x.local('carol', 'c1');
  x.receive(m1, 'b2');
  const m2 = x.send('bob', 'carol', 'b3');
  x.local('alice', 'a3');
  x.receive(m2, 'c2');
  const m3 = x.send('carol', 'alice', 'c3');
  x.receive(m3, 'a4');
  return x;
}
