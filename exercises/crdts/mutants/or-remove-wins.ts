// mistake: orRemove tombstones the element itself rather than the adds it has seen, so a concurrent add of it is removed too (remove wins)
// expect: add wins

import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/**
 * State-based CRDTs: replicas update their own copy without asking anyone, send their whole state
 * to each other now and then, and merge what they receive. Merge is commutative, associative and
 * idempotent, so replicas that have seen the same updates hold the same value, whatever the order,
 * grouping or repetition of the merges. Every state is plain data: it travels in messages and is
 * saved in storage. No function here modifies a state it is given.
 */

/** Who made an update: the replica's id (in the simulation, its node id). */
export type ReplicaId = string;

// ── G-counter ────────────────────────────────────────────────────────────────────────────────

/** A grow-only counter: replica → the sum of the increments made at that replica (missing = 0). */
export type GCounter = Readonly<Record<ReplicaId, number>>;

const count = (counter: GCounter, replica: ReplicaId): number => (Object.hasOwn(counter, replica) ? counter[replica]! : 0);

export function gcEmpty(): GCounter {
  return {};
}

/** Adds `amount` (a whole number ≥ 0) to `replica`'s own entry; throws a RangeError otherwise. */
export function gcIncrement(counter: GCounter, replica: ReplicaId, amount = 1): GCounter {
  if (!Number.isInteger(amount) || amount < 0) throw new RangeError(`a G-counter grows by a whole number ≥ 0, not ${amount}`);
  return { ...counter, [replica]: count(counter, replica) + amount };
}

export function gcValue(counter: GCounter): number {
  let sum = 0;
  for (const replica of Object.keys(counter)) sum += count(counter, replica);
  return sum;
}

/** Entry by entry, the larger: an entry only ever grows, so the larger one has seen more of that replica's increments. */
export function gcMerge(a: GCounter, b: GCounter): GCounter {
  const merged: Record<ReplicaId, number> = { ...a };
  for (const replica of Object.keys(b)) merged[replica] = Math.max(count(a, replica), count(b, replica));
  return merged;
}

// ── PN-counter ───────────────────────────────────────────────────────────────────────────────

/** A counter that goes both ways: two G-counters, the increments `p` and the decrements `n`. */
export interface PNCounter {
  readonly p: GCounter;
  readonly n: GCounter;
}

export function pnEmpty(): PNCounter {
  return { p: {}, n: {} };
}

/** Adds `delta` (a whole number, negative to decrement) at `replica`; throws a RangeError otherwise. */
export function pnAdd(counter: PNCounter, replica: ReplicaId, delta: number): PNCounter {
  if (!Number.isInteger(delta)) throw new RangeError(`a PN-counter changes by a whole number, not ${delta}`);
  return delta >= 0
    ? { p: gcIncrement(counter.p, replica, delta), n: counter.n }
    : { p: counter.p, n: gcIncrement(counter.n, replica, -delta) };
}

export function pnValue(counter: PNCounter): number {
  return gcValue(counter.p) - gcValue(counter.n);
}

export function pnMerge(a: PNCounter, b: PNCounter): PNCounter {
  return { p: gcMerge(a.p, b.p), n: gcMerge(a.n, b.n) };
}

// ── OR-set (add-wins), with tags and tombstones ──────────────────────────────────────────────

/** One add: the element, and a tag no other add has (the replica and its count of adds). */
type Add = readonly [element: string, replica: ReplicaId, n: number];

export interface ORSet {
  readonly adds: readonly Add[];
  /** Elements removed (a local add takes its element off this list). */
  readonly removed: readonly string[];
}

const tagOf = (a: Add) => `${a[1]}\u0000${a[2]}`;

export function orEmpty(): ORSet {
  return { adds: [], removed: [] };
}

export function orAdd(set: ORSet, replica: ReplicaId, element: string): ORSet {
  let n = 0;
  for (const a of set.adds) if (a[1] === replica) n = Math.max(n, a[2]);
  return { adds: [...set.adds, [element, replica, n + 1]], removed: set.removed.filter((e) => e !== element) };
}

export function orRemove(set: ORSet, _replica: ReplicaId, element: string): ORSet {
  return { adds: set.adds, removed: [...new Set([...set.removed, element])] };
}

export function orElements(set: ORSet): string[] {
  const removed = new Set(set.removed);
  return [...new Set(set.adds.filter((a) => !removed.has(a[0])).map((a) => a[0]))];
}

export function orMerge(a: ORSet, b: ORSet): ORSet {
  const tags = new Set(a.adds.map(tagOf));
  return { adds: [...a.adds, ...b.adds.filter((x) => !tags.has(tagOf(x)))], removed: [...new Set([...a.removed, ...b.removed])] };
}

// ── LWW register ─────────────────────────────────────────────────────────────────────────────

/**
 * A last-writer-wins register: the value of the write with the largest stamp, where a stamp is a
 * Lamport time and the writing replica's id, compared by time, then by replica id.
 */
export interface LWWRegister<V = unknown> {
  readonly value: V | undefined;
  readonly time: number;
  readonly replica: ReplicaId;
}

export function lwwEmpty<V = unknown>(): LWWRegister<V> {
  return { value: undefined, time: 0, replica: '' };
}

/** A write: its Lamport time is one more than the largest time this register has seen. */
export function lwwSet<V>(register: LWWRegister<V>, replica: ReplicaId, value: V): LWWRegister<V> {
  return { value, time: register.time + 1, replica };
}

export function lwwGet<V>(register: LWWRegister<V>): V | undefined {
  return register.value;
}

export function lwwMerge<V>(a: LWWRegister<V>, b: LWWRegister<V>): LWWRegister<V> {
  const bWins = b.time > a.time || (b.time === a.time && b.replica > a.replica);
  return { ...(bWins ? b : a) };
}

// ── Replicas on the simulator ────────────────────────────────────────────────────────────────

/** What clients send, and what replicas answer (`inReplyTo` is the request's `msgId`). */
export type ClientRequest =
  | { type: 'add'; msgId: number; delta: number }
  | { type: 'set_add'; msgId: number; element: string }
  | { type: 'set_remove'; msgId: number; element: string }
  | { type: 'read'; msgId: number };

export type ClientReply =
  | { type: 'add_ok' | 'set_add_ok' | 'set_remove_ok'; inReplyTo: number }
  | { type: 'read_ok'; inReplyTo: number; value: number; elements: string[] };

/** What replicas send each other: the whole state. */
export interface Gossip {
  type: 'gossip';
  counter: PNCounter;
  set: ORSet;
}

export type Message = ClientRequest | ClientReply | Gossip;

export interface ReplicaOptions {
  /** Send the state to the other replicas at least this often, ms. */
  gossipIntervalMs: number;
}

/**
 * One replica holding a PN-counter and an OR-set. Every operation is applied locally and saved
 * before it is acknowledged, so that a crash loses nothing acknowledged and a restarted replica
 * carries on from its saved state under its own id; the state is gossiped to every peer on a timer.
 */
export function createReplica(ctx: NodeContext<Message>, options: ReplicaOptions): SimNode<Message> {
  let counter = ctx.storage.get<PNCounter>('counter') ?? pnEmpty();
  let set = ctx.storage.get<ORSet>('set') ?? orEmpty();

  const save = () => {
    ctx.storage.set('counter', counter);
    ctx.storage.set('set', set);
  };
  const gossip = () => {
    for (const peer of ctx.peers) ctx.send(peer, { type: 'gossip', counter, set });
    ctx.setTimer(options.gossipIntervalMs, gossip);
  };
  ctx.setTimer(options.gossipIntervalMs * ctx.random(), gossip);

  const reply = (to: NodeId, message: ClientReply) => ctx.send(to, message);

  return {
    receive(from, message) {
      switch (message.type) {
        case 'gossip':
          counter = pnMerge(counter, message.counter);
          set = orMerge(set, message.set);
          return;
        case 'add':
          counter = pnAdd(counter, ctx.id, message.delta);
          save();
          return reply(from, { type: 'add_ok', inReplyTo: message.msgId });
        case 'set_add':
          set = orAdd(set, ctx.id, message.element);
          save();
          return reply(from, { type: 'set_add_ok', inReplyTo: message.msgId });
        case 'set_remove':
          set = orRemove(set, ctx.id, message.element);
          save();
          return reply(from, { type: 'set_remove_ok', inReplyTo: message.msgId });
        case 'read':
          return reply(from, { type: 'read_ok', inReplyTo: message.msgId, value: pnValue(counter), elements: orElements(set) });
        default:
          return;
      }
    },
  };
}
