/**
 * A deterministic world for distributed code: a virtual clock, an event queue, a seeded network that
 * loses, delays, duplicates and reorders messages, partitions, crashes with durable storage, and
 * invariants checked after every event. Same seed and same code give the identical trace, always.
 */
import { copyData } from './copy.ts';
import { EventQueue } from './event-queue.ts';
import { DEFAULT_NETWORK, Partitions, type NetworkOptions } from './network.ts';
import { summarize } from './format.ts';
import { streamOf } from './random.ts';
import { FaultSchedule, type FaultPart } from './schedule.ts';
import type { DropReason, DurableStorage, NodeContext, NodeFactory, NodeId, SimNode, TimerId, TraceEvent } from './types.ts';

/** A node's clock: local = offsetMs + trueTime × (1 + drift). */
export interface ClockSpec {
  offsetMs?: number;
  /** e.g. 0.0001 runs 100 ppm fast; -0.0001 slow. */
  drift?: number;
}

export interface SimulationOptions<M, N extends SimNode<M>> {
  seed: number;
  /** Node ids, or a count: 3 → n1, n2, n3. */
  nodes: readonly NodeId[] | number;
  factory: NodeFactory<M, N>;
  network?: Partial<NetworkOptions>;
  clocks?: Readonly<Record<NodeId, ClockSpec>>;
  /** Record a trace for the timeline (default true; off for raw speed). */
  trace?: boolean;
  /** Events allowed at one instant before the run is declared stuck (default 100,000). */
  maxEventsPerInstant?: number;
  /**
   * Each message the network loses or duplicates (at its loss and duplicate rates) is a step of
   * the fault schedule (lane `m`), so that shrinking can keep just the few a failure needs. Off,
   * they are the network's weather, never shrunk. The draws are the same either way.
   */
  messageFaults?: boolean;
}

/** A client operation made a step of the schedule (Simulation.operation); `answered` tells the story when it completed. */
export interface OperationStep {
  answered(): void;
}

/** Why a scenario failed: an invariant broke, a node threw, or the run got stuck. */
export class SimulationViolation extends Error {
  override name = 'SimulationViolation';
  constructor(
    message: string,
    readonly time: number,
    readonly seed: number,
    /** Nodes this violation is about, to centre the timeline on them. */
    readonly nodes: readonly NodeId[] = [],
  ) {
    super(message);
  }
}

/**
 * When `crashAfter` crashes a node: right after its k-th send (or storage write) from now, among
 * those `matching` accepts; the rest of the handler that made it never runs.
 */
export type CrashTrigger<M = unknown> = CrashAfterSends<M> | CrashAfterWrites;
export interface CrashAfterSends<M = unknown> {
  sends: number;
  matching?: (to: NodeId, message: M) => boolean;
  restartAfterMs?: number;
}
export interface CrashAfterWrites {
  /** Writes are `storage.set` and `storage.delete`. */
  writes: number;
  matching?: (key: string) => boolean;
  restartAfterMs?: number;
}

/** A watcher of sends: `storage` is the sender's durable storage at the moment of the send (undefined for clients). */
export type SendWatcher<M> = (from: NodeId, to: NodeId, message: M, storage: DurableStorage | undefined) => void;

type Event =
  | { time: number; seq: number; kind: 'deliver'; from: NodeId; to: NodeId; message: unknown; sentAt: number; copies: Copies | undefined; held?: boolean; duplicate?: boolean }
  | { time: number; seq: number; kind: 'timer'; node: NodeId; incarnation: number; id: TimerId; callback: () => void; cancelled: boolean; held?: boolean }
  | { time: number; seq: number; kind: 'action'; run: () => void };

type TimerEvent = Extract<Event, { kind: 'timer' }>;
type HeldEvent = Extract<Event, { kind: 'deliver' | 'timer' }>;

/**
 * Thrown out of ctx.send / storage.set when crashAfter fires, so that the rest of the learner's
 * handler never runs; caught where the simulator calls node code. Private: never reaches a test.
 */
const HALTED: unique symbol = Symbol('node halted by crashAfter');

interface ArmedCrash {
  kind: 'sends' | 'writes';
  left: number;
  count: number;
  matching: ((...args: any[]) => boolean) | undefined;
  restartAfterMs: number | undefined;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Shared by the copies of a duplicated message: whichever arrives (or is dropped) second is the duplicate. */
interface Copies {
  settled: number;
}

function isDuplicate(copies: Copies | undefined): boolean {
  return copies !== undefined && copies.settled++ > 0;
}

interface Slot<N> {
  id: NodeId;
  up: boolean;
  incarnation: number;
  node: N | undefined;
  storage: MapStorage;
  random: () => number;
  offsetMs: number;
  drift: number;
  /** Paused (stop-the-world) until this true time; undefined while running. */
  pausedUntil: number | undefined;
  pausedAt: number;
  /** Deliveries and timer firings that came due while paused, in that order. */
  held: HeldEvent[];
  /** Tells a scheduled resume from one made stale by a later pause, resume or crash. */
  pauseToken: number;
  crashAfter: ArmedCrash | undefined;
}

class MapStorage implements DurableStorage {
  readonly #data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    const v = this.#data.get(key);
    return v === undefined ? undefined : (copyData(v) as T);
  }
  set(key: string, value: unknown): void {
    this.#data.set(key, copyData(value));
  }
  delete(key: string): void {
    this.#data.delete(key);
  }
  keys(): string[] {
    return [...this.#data.keys()];
  }
}

/**
 * Set by the harness: wraps every call into node code, to catch node code that uses the real
 * setTimeout, Date.now() or Math.random() instead of its context (src/verify/harness/ambient.ts).
 */
let aroundNodeCode: ((id: NodeId, run: () => void) => void) | undefined;
export function setAroundNodeCode(hook: typeof aroundNodeCode): void {
  aroundNodeCode = hook;
}

export function nodeIds(nodes: readonly NodeId[] | number): NodeId[] {
  return typeof nodes === 'number' ? Array.from({ length: nodes }, (_, i) => `n${i + 1}`) : [...nodes];
}

export type Invariant = () => string | undefined | void | false;

export class Simulation<M = unknown, N extends SimNode<M> = SimNode<M>> {
  readonly seed: number;
  readonly ids: readonly NodeId[];
  readonly trace: TraceEvent[] = [];
  /** The test's own random stream (scenario choices), separate from the network's. */
  readonly random: () => number;
  readonly partitions = new Partitions();
  /** Every fault asked for (partitions, crashes, pauses, loss changes) as data; its plan can suppress some. */
  readonly faults = new FaultSchedule();
  #network: NetworkOptions;
  /** The loss rate in force: the network's, unless the plan suppressed the change that set it. */
  #loss: number;

  readonly #queue = new EventQueue<Event>();
  readonly #slots = new Map<NodeId, Slot<N>>();
  readonly #clients = new Map<NodeId, (from: NodeId, message: M) => void>();
  readonly #timers = new Map<TimerId, TimerEvent>();
  readonly #invariants: Array<{ name: string; check: Invariant }> = [];
  readonly #sendWatchers: Array<SendWatcher<M>> = [];
  readonly #factory: NodeFactory<M, N>;
  readonly #netRandom: () => number;
  /** Draws for a message whose loss the plan suppressed, so that the others' draws do not shift. */
  readonly #keptRandom: () => number;
  readonly #messageFaults: boolean;
  readonly #tracing: boolean;
  readonly #maxPerInstant: number;
  #now = 0;
  #started = false;
  #nextTimer = 1;
  #sameInstant = 0;
  #events = 0;

  constructor(options: SimulationOptions<M, N>) {
    this.seed = options.seed;
    this.ids = nodeIds(options.nodes);
    this.#factory = options.factory;
    this.#network = { ...DEFAULT_NETWORK, ...options.network };
    this.#loss = this.#network.loss;
    this.#netRandom = streamOf(options.seed, 'network');
    this.#keptRandom = streamOf(options.seed, 'network:kept');
    this.#messageFaults = options.messageFaults ?? false;
    this.random = streamOf(options.seed, 'scenario');
    this.#tracing = options.trace ?? true;
    this.#maxPerInstant = options.maxEventsPerInstant ?? 100_000;
    for (const id of this.ids) {
      const clock = options.clocks?.[id] ?? {};
      this.#slots.set(id, {
        id, up: false, incarnation: 0, node: undefined, storage: new MapStorage(),
        random: streamOf(options.seed, `node:${id}`), offsetMs: clock.offsetMs ?? 0, drift: clock.drift ?? 0,
        pausedUntil: undefined, pausedAt: 0, held: [], pauseToken: 0, crashAfter: undefined,
      });
    }
  }

  /**
   * Nodes start on first use of the simulation, not in its constructor, so that a factory may
   * refer to the simulation (e.g. a wrapper that asks `sim.isUp`) from its very first call.
   */
  #ensureStarted(): void {
    this.start();
  }

  /** Starts the nodes now (calls each factory) if nothing has started them yet. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const id of this.ids) this.#boot(this.#slots.get(id)!);
  }

  /** The network's behaviour; setting a new loss rate is a fault of the schedule (undone by setting it back). */
  get network(): NetworkOptions {
    return this.#network;
  }

  set network(value: NetworkOptions) {
    const before = this.#network.loss;
    this.#network = value;
    if (value.loss !== before) this.#loss = this.faults.lossChanged(before, value.loss, this.#loss, this.#now);
  }

  /** True (simulated) time in ms since the start. */
  get now(): number {
    return this.#now;
  }

  /** Events processed so far. */
  get events(): number {
    return this.#events;
  }

  /** The node object of `id`, or undefined while it is crashed. */
  node(id: NodeId): N | undefined {
    this.#ensureStarted();
    return this.#slot(id).node;
  }

  isUp(id: NodeId): boolean {
    this.#ensureStarted();
    return this.#slot(id).up;
  }

  /** The nodes currently running. */
  upNodes(): NodeId[] {
    this.#ensureStarted();
    return this.ids.filter((id) => this.#slot(id).up);
  }

  /** `id`'s local clock reading at true time `t` (default now). */
  localTime(id: NodeId, t = this.#now): number {
    const s = this.#slot(id);
    return s.offsetMs + t * (1 + s.drift);
  }

  storage(id: NodeId): DurableStorage {
    return this.#slot(id).storage;
  }

  /** Checked after every event; a returned string is a violation, reported with the timeline. */
  invariant(name: string, check: Invariant): void {
    this.#invariants.push({ name, check });
  }

  /**
   * Calls `watch` for every message sent (by a node or with sendFrom), before the network decides
   * its fate: for checks on what nodes send, which the trace shows only once it arrives or is lost.
   * `storage` is the sender's durable storage as it is at that moment (to check "saved before
   * sent"); a violation thrown from `watch` ends the run there.
   */
  onSend(watch: SendWatcher<M>): void {
    this.#sendWatchers.push(watch);
  }

  /** An endpoint outside the cluster (a client): nodes can send to it, it sends with `sendFrom`. */
  addClient(id: NodeId, receive: (from: NodeId, message: M) => void): void {
    if (this.#slots.has(id) || this.#clients.has(id)) throw new Error(`endpoint ${id} already exists`);
    this.#clients.set(id, receive);
  }

  /** Sends a message from a client (or on a node's behalf, from the test) through the network. */
  sendFrom(from: NodeId, to: NodeId, message: M): void {
    this.#ensureStarted();
    this.#send(from, to, message);
  }

  /** Runs `run` at true time `time` (or now, if that is past). */
  at(time: number, run: () => void): void {
    this.#queue.push({ time: Math.max(time, this.#now), seq: 0, kind: 'action', run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.#now + delayMs, run);
  }

  crash(id: NodeId): void {
    this.#ensureStarted();
    const s = this.#slot(id);
    if (this.faults.request({ kind: 'crash', node: id }, this.#now)) return;
    this.#crash(s, undefined);
  }

  /**
   * Arms a crash of `id` right after its k-th send (`{ sends: k }`) or durable write (`{ writes:
   * k }`, set or delete) from now, counting only those `matching` accepts: the effect happens, then
   * the node crashes before the rest of its handler runs (a crash between two effects of one
   * handler). With `restartAfterMs`, it restarts that long after. Replaces any crash armed before.
   */
  crashAfter(id: NodeId, trigger: CrashAfterSends<M>): void;
  crashAfter(id: NodeId, trigger: CrashAfterWrites): void;
  crashAfter(id: NodeId, trigger: CrashTrigger<M>): void {
    this.#ensureStarted();
    const s = this.#slot(id);
    const kind = 'sends' in trigger ? 'sends' : 'writes';
    const count = 'sends' in trigger ? trigger.sends : trigger.writes;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`crashAfter: ${kind} must be a whole number ≥ 1, got ${String(count)}`);
    const armedAs = `right after its ${ordinal(count)} ${kind === 'sends' ? 'send' : 'write'}${trigger.matching ? ' of the kind the test picked' : ''} from then`;
    const part: FaultPart = { kind: 'crash-after', node: id, trigger: armedAs };
    if (this.faults.request(part, this.#now)) return;
    // Replacing an armed crash is that one's undo.
    for (const step of this.faults.steps) for (const p of step.parts) if (p !== part && p.kind === 'crash-after' && p.node === id && p.fired === undefined && p.end === undefined) p.end = this.#now;
    s.crashAfter = { kind, left: count, count, matching: trigger.matching, restartAfterMs: trigger.restartAfterMs };
  }

  /** Disarms a crash armed on `id` by crashAfter that has not fired: the undo of that step, not a fault of its own. */
  disarm(id: NodeId): void {
    this.#ensureStarted();
    this.faults.disarmed(id, this.#now);
    this.#slot(id).crashAfter = undefined;
  }

  /**
   * Runs `inject` as one step of the fault schedule, whatever faults it asks for (none included:
   * the steps after it keep their numbers whether or not this one found something to do).
   */
  fault<T>(inject: () => T): T {
    this.#ensureStarted();
    return this.faults.group('test', inject, this.#now);
  }

  /**
   * A client operation the scenario can do without (say, one command of a random workload), as a
   * step of the schedule (lane `o`), so that shrinking can drop it: undefined when the plan leaves
   * it out (the scenario then skips it), else a handle to say when it was answered.
   */
  operation(client: NodeId, what: string): OperationStep | undefined {
    const part: FaultPart = { kind: 'operation', client, what };
    if (this.faults.requestIn('operation', client, part, this.#now)) return undefined;
    return { answered: () => { part.end ??= this.#now; } };
  }

  /**
   * Pauses `id` for `ms` of true time, as a stop-the-world GC or a suspended VM would: its handlers
   * and timers do not run, messages to it wait and are delivered at resume in arrival order, its
   * timers fire late (at resume), and its clock keeps running, so after the pause it sees time
   * jumped. Pausing a paused node extends the pause; a crash ends it (what waited is lost).
   */
  pause(id: NodeId, ms: number): void {
    this.#ensureStarted();
    if (!(ms >= 0)) throw new RangeError(`pause: ms must be a number ≥ 0, got ${String(ms)}`);
    const s = this.#slot(id);
    // Asked for even of a node that is down, so that the steps after it keep their numbers.
    if (this.faults.request({ kind: 'pause', node: id, ms }, this.#now)) return;
    if (!s.up) return;
    const until = this.#now + ms;
    if (s.pausedUntil === undefined) {
      s.pausedAt = this.#now;
      s.pausedUntil = until;
    } else if (until > s.pausedUntil) {
      s.pausedUntil = until;
    } else {
      return;
    }
    this.#record({ t: this.#now, kind: 'pause', node: id, until: s.pausedUntil });
    const token = ++s.pauseToken;
    if (Number.isFinite(until)) this.at(until, () => {
      if (s.pauseToken === token) this.#resume(s);
    });
  }

  /** Ends `id`'s pause now (if it is paused). */
  resume(id: NodeId): void {
    this.#ensureStarted();
    const s = this.#slot(id);
    if (s.pausedUntil !== undefined) this.#resume(s);
  }

  isPaused(id: NodeId): boolean {
    return this.#slot(id).pausedUntil !== undefined;
  }

  /**
   * Calls into a node from test code (e.g. a client API of the node), as a handler would run:
   * if a crash armed with crashAfter stops it midway, returns undefined; anything the node throws
   * becomes a violation naming it. Undefined too if the node is down.
   */
  call<T>(id: NodeId, run: (node: N) => T): T | undefined {
    this.#ensureStarted();
    const s = this.#slot(id);
    const node = s.node;
    if (!s.up || node === undefined) return undefined;
    let result: T | undefined;
    this.#guard(id, 'handling a call from the test', () => {
      result = run(node);
    });
    return result;
  }

  restart(id: NodeId): void {
    this.#ensureStarted();
    const s = this.#slot(id);
    if (s.up) return;
    this.faults.restarted(id, this.#now);
    s.crashAfter = undefined;
    s.incarnation++;
    this.#record({ t: this.#now, kind: 'restart', node: id });
    this.#boot(s);
    this.#checkInvariants();
  }

  /** Nodes in different groups cannot talk (both ways) until `heal()`. */
  partition(...groups: ReadonlyArray<readonly NodeId[]>): void {
    if (this.faults.request({ kind: 'partition', groups: groups.map((g) => [...g]) }, this.#now)) return;
    this.partitions.split(groups);
    this.#record({ t: this.#now, kind: 'partition', description: groups.map((g) => `{${g.join(',')}}`).join(' | ') });
  }

  /** Cuts one node off from every other. */
  isolate(id: NodeId): void {
    this.partition([id], this.ids.filter((x) => x !== id));
  }

  blockOneWay(from: NodeId, to: NodeId): void {
    if (this.faults.request({ kind: 'one-way', from, to }, this.#now)) return;
    this.partitions.blockOneWay(from, to);
    this.#record({ t: this.#now, kind: 'partition', description: `${from} → ${to} cut (one way)` });
  }

  heal(): void {
    this.faults.healed(this.#now);
    if (!this.partitions.active) return;
    this.partitions.heal();
    this.#record({ t: this.#now, kind: 'heal' });
  }

  /** Processes one event; false when nothing is left to do. */
  step(): boolean {
    this.#ensureStarted();
    const event = this.#queue.pop();
    if (!event) return false;
    this.#process(event);
    return true;
  }

  /** Runs every event due up to true time `time`, then sets the clock to it. */
  runUntil(time: number): void {
    this.#ensureStarted();
    for (let next = this.#queue.peek(); next !== undefined && next.time <= time; next = this.#queue.peek()) {
      this.#process(this.#queue.pop()!);
    }
    if (time > this.#now) this.#now = time;
  }

  runFor(ms: number): void {
    this.runUntil(this.#now + ms);
  }

  /**
   * Runs until `predicate` holds (checked now and after every event) or `withinMs` pass.
   * Returns the true time at which it first held, or undefined.
   */
  runUntilTrue(predicate: () => boolean, withinMs: number): number | undefined {
    this.#ensureStarted();
    const deadline = this.#now + withinMs;
    if (predicate()) return this.#now;
    for (let next = this.#queue.peek(); next !== undefined && next.time <= deadline; next = this.#queue.peek()) {
      this.#process(this.#queue.pop()!);
      if (predicate()) return this.#now;
    }
    this.#now = Math.max(this.#now, deadline);
    return undefined;
  }

  /** Writes a note on `node`'s lane of the timeline (e.g. "became leader of term 3"). */
  note(node: NodeId, text: string): void {
    this.#record({ t: this.#now, kind: 'log', node, text });
  }

  /** Throws a violation (with this run's seed and time) from scenario code. */
  violation(message: string, nodes: readonly NodeId[] = []): never {
    throw new SimulationViolation(message, this.#now, this.seed, nodes);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  #slot(id: NodeId): Slot<N> {
    const s = this.#slots.get(id);
    if (!s) throw new Error(`no node "${id}" in this simulation (nodes: ${this.ids.join(', ')})`);
    return s;
  }

  #record(event: TraceEvent): void {
    if (this.#tracing) this.trace.push(event);
  }

  #crash(s: Slot<N>, cause: string | undefined): void {
    if (!s.up) return;
    s.up = false;
    s.node = undefined;
    s.incarnation++;
    s.crashAfter = undefined;
    const held = s.held.splice(0);
    s.pausedUntil = undefined;
    s.pauseToken++;
    this.#record(cause === undefined ? { t: this.#now, kind: 'crash', node: s.id } : { t: this.#now, kind: 'crash', node: s.id, cause });
    // What waited for a paused node dies with it, as the messages in its socket buffer would.
    for (const e of held) if (e.kind === 'deliver') this.#drop(e.from, e.to, e.message, e.sentAt, 'crashed', false);
    // Checked at once, so that a violation caused by the crash itself ends the timeline here.
    this.#checkInvariants();
  }

  #resume(s: Slot<N>): void {
    const held = s.held.splice(0);
    const since = s.pausedAt;
    s.pausedUntil = undefined;
    s.pauseToken++;
    const messages = held.filter((e) => e.kind === 'deliver').length;
    this.faults.resumed(s.id, this.#now);
    this.#record({ t: this.#now, kind: 'resume', node: s.id, since, messages, timers: held.length - messages });
    // Everything that came due during the pause runs now, in the order it came due, each as an
    // event of its own (invariants checked after each), before anything else of this instant.
    for (const e of held) {
      e.time = this.#now;
      e.held = true;
      this.#process(e);
    }
  }

  /** Counts one effect (a send or a write) towards an armed crashAfter; crashes and halts the handler on the k-th. */
  #effect(s: Slot<N>, kind: 'sends' | 'writes', args: readonly unknown[], what: () => string): void {
    const armed = s.crashAfter;
    if (armed === undefined || armed.kind !== kind || (armed.matching !== undefined && !armed.matching(...args))) return;
    if (--armed.left > 0) return;
    const nth = `${ordinal(armed.count)} ${kind === 'sends' ? 'send' : 'write'}`;
    this.faults.fired(s.id, this.#now);
    this.#crash(s, `right after its ${nth} since crashAfter (${what()})`);
    if (armed.restartAfterMs !== undefined) this.after(armed.restartAfterMs, () => this.restart(s.id));
    throw HALTED;
  }

  #boot(s: Slot<N>): void {
    s.up = true;
    const incarnation = s.incarnation;
    const alive = () => s.up && s.incarnation === incarnation;
    const peers = this.ids.filter((x) => x !== s.id);
    // The node's view of its storage: writes of a crashed incarnation (code that caught the halt) are ignored.
    const storage: DurableStorage = {
      get: <T>(key: string) => s.storage.get<T>(key),
      set: (key, value) => {
        if (!alive()) return;
        s.storage.set(key, value);
        this.#effect(s, 'writes', [key], () => `set ${key}`);
      },
      delete: (key) => {
        if (!alive()) return;
        s.storage.delete(key);
        this.#effect(s, 'writes', [key], () => `delete ${key}`);
      },
      keys: () => s.storage.keys(),
    };
    const ctx: NodeContext<M> = {
      id: s.id,
      peers,
      now: () => s.offsetMs + this.#now * (1 + s.drift),
      send: (to, message) => {
        if (!alive()) return;
        this.#send(s.id, to, message);
        this.#effect(s, 'sends', [to, message], () => `${summarize(message, 40)} to ${to}`);
      },
      setTimer: (delayMs, callback) => {
        const id = this.#nextTimer++;
        if (!alive()) return id;
        if (!(delayMs >= 0)) throw new RangeError(`setTimer: delay must be a number ≥ 0, got ${String(delayMs)}`);
        const event: TimerEvent = {
          time: this.#now + delayMs / (1 + s.drift), seq: 0, kind: 'timer', node: s.id, incarnation, id, callback, cancelled: false,
        };
        this.#timers.set(id, event);
        this.#queue.push(event);
        return id;
      },
      cancelTimer: (timer) => {
        const event = this.#timers.get(timer);
        if (event) {
          event.cancelled = true;
          this.#timers.delete(timer);
        }
      },
      random: s.random,
      storage,
      log: (text) => {
        if (alive()) this.#record({ t: this.#now, kind: 'log', node: s.id, text: String(text) });
      },
    };
    this.#guard(s.id, 'starting', () => {
      const node = this.#factory(ctx);
      if (alive()) s.node = node;
    });
  }

  #send(from: NodeId, to: NodeId, message: M): void {
    if (!this.#slots.has(to) && !this.#clients.has(to)) {
      throw new Error(`send to unknown node "${to}" (nodes: ${this.ids.join(', ')})`);
    }
    const copy = copyData(message);
    if (this.#sendWatchers.length > 0) {
      const storage = this.#slots.get(from)?.storage;
      for (const watch of this.#sendWatchers) watch(from, to, copy, storage);
    }
    if (this.partitions.blocks(from, to)) return this.#drop(from, to, copy, this.#now, 'partition');
    const net = this.network;
    let random = this.#netRandom;
    if (this.#loss > 0 && random() < this.#loss) {
      if (!this.#messageFault('lose', from, to, copy)) return this.#drop(from, to, copy, this.#now, 'loss');
      // Kept by the plan: its fate is drawn apart, so the messages after it draw as they did.
      random = this.#keptRandom;
    }
    let count = net.duplicate > 0 && random() < net.duplicate ? 2 : 1;
    if (count === 2 && this.#messageFault('duplicate', from, to, copy)) {
      net.latency(random); // the copy's draw, made all the same
      count = 1;
    }
    const copies: Copies | undefined = count > 1 ? { settled: 0 } : undefined;
    for (let i = 0; i < count; i++) {
      const latency = Math.max(0, net.latency(random));
      this.#queue.push({
        time: this.#now + latency, seq: 0, kind: 'deliver', from, to,
        message: i === 0 ? copy : copyData(copy), sentAt: this.#now, copies,
      });
    }
  }

  /** With messageFaults, a loss or duplication is a step: true when the plan suppresses it. */
  #messageFault(kind: 'lose' | 'duplicate', from: NodeId, to: NodeId, message: unknown): boolean {
    return this.#messageFaults && this.faults.requestIn('message', 'network', { kind, from, to, message: summarize(message, 40) }, this.#now);
  }

  #drop(from: NodeId, to: NodeId, message: unknown, sentAt: number, reason: DropReason, duplicate = false): void {
    this.#record({ t: this.#now, kind: 'drop', from, to, message, sentAt, reason, duplicate });
  }

  #process(event: Event): void {
    if (event.time > this.#now) {
      this.#now = event.time;
      this.#sameInstant = 0;
    } else if (++this.#sameInstant > this.#maxPerInstant) {
      const who = event.kind === 'timer' ? event.node : event.kind === 'deliver' ? event.to : undefined;
      throw new SimulationViolation(
        `more than ${this.#maxPerInstant} events happened at ${this.#now.toFixed(1)} ms without time passing` +
          (who ? ` (the last one at ${who}): a timer of 0 ms that re-arms itself, or messages answered by more messages forever?` : ''),
        this.#now, this.seed, who ? [who] : [],
      );
    }
    this.#events++;
    switch (event.kind) {
      case 'deliver':
        this.#deliver(event);
        break;
      case 'timer': {
        if (event.cancelled) return;
        const s = this.#slots.get(event.node)!;
        if (!s.up || s.incarnation !== event.incarnation) return;
        if (s.pausedUntil !== undefined) {
          s.held.push(event);
          return;
        }
        this.#timers.delete(event.id);
        this.#record({ t: this.#now, kind: 'timer', node: event.node });
        this.#guard(event.node, 'running a timer', event.callback);
        break;
      }
      case 'action':
        try {
          event.run();
        } catch (error) {
          // A test's action that called into a node which crashAfter stopped midway.
          if (error !== HALTED) throw error;
        }
        break;
    }
    if (this.#invariants.length > 0) this.#checkInvariants();
  }

  #deliver(e: Extract<Event, { kind: 'deliver' }>): void {
    // A message held for a paused node had already arrived: it was judged (duplicate, partition) then.
    const duplicate = e.held ? e.duplicate === true : isDuplicate(e.copies);
    if (!e.held && this.partitions.blocks(e.from, e.to)) return this.#drop(e.from, e.to, e.message, e.sentAt, 'partition', duplicate);
    const client = this.#clients.get(e.to);
    if (client) {
      this.#record({ t: this.#now, kind: 'deliver', from: e.from, to: e.to, message: e.message, sentAt: e.sentAt, duplicate });
      client(e.from, e.message as M);
      return;
    }
    const s = this.#slots.get(e.to)!;
    if (!s.up || !s.node) return this.#drop(e.from, e.to, e.message, e.sentAt, 'crashed', duplicate);
    if (s.pausedUntil !== undefined) {
      // Arrived, but nobody runs to read it: it waits, with its duplicate mark, until the resume.
      e.duplicate = duplicate;
      s.held.push(e);
      return;
    }
    this.#record({ t: this.#now, kind: 'deliver', from: e.from, to: e.to, message: e.message, sentAt: e.sentAt, duplicate, ...(e.held ? { held: true } : {}) });
    const node = s.node;
    this.#guard(e.to, `handling a message from ${e.from}`, () => node.receive(e.from, e.message as M));
  }

  /** Learner code runs here: anything it throws becomes a violation that names the node. */
  #guard(id: NodeId, doing: string, run: () => void): void {
    try {
      if (aroundNodeCode) aroundNodeCode(id, run);
      else run();
    } catch (error) {
      // crashAfter stopped the node midway: the rest of the handler is discarded, as a crash would.
      if (error === HALTED) return;
      // A violation, or a check of the test failing inside node code (the harness's LearnerFailure),
      // already says what went wrong: wrapping it as "n1 threw" would blame the learner's node.
      if (error instanceof SimulationViolation || (error instanceof Error && error.name === 'LearnerFailure')) throw error;
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const v = new SimulationViolation(`${id} threw while ${doing} at ${this.#now.toFixed(1)} ms: ${what}`, this.#now, this.seed, [id]);
      v.cause = error;
      throw v;
    }
  }

  #checkInvariants(): void {
    for (const { name, check } of this.#invariants) {
      const problem = check();
      if (typeof problem === 'string') {
        throw new SimulationViolation(`${name}: ${problem} (at ${this.#now.toFixed(1)} ms)`, this.#now, this.seed);
      }
    }
  }
}
