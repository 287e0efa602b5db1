import type { NodeContext, SimNode } from 'learn-ds/sim';

/**
 * State-based CRDTs: replicas update their own copy without asking anyone, send their whole state
 * to each other now and then, and merge what they receive. Every state is plain data (objects,
 * arrays, strings, numbers): it travels in messages and is saved in storage. No function may
 * modify a state it is given: each returns a new one.
 */

/** Who made an update: the replica's id (in the simulation, its node id). */
export type ReplicaId = string;

// ── G-counter ────────────────────────────────────────────────────────────────────────────────

/** A grow-only counter: replica → the sum of the increments made at that replica (missing = 0). */
export type GCounter = Readonly<Record<ReplicaId, number>>;

/** A counter at 0: `{}`. */
export function gcEmpty(): GCounter {
  throw new Error('TODO: implement gcEmpty');
}

/** Adds `amount` (a whole number ≥ 0, default 1) to `replica`'s entry; throws a RangeError otherwise. */
export function gcIncrement(counter: GCounter, replica: ReplicaId, amount = 1): GCounter {
  throw new Error('TODO: implement gcIncrement');
}

/** The counter's value: the sum of the entries. */
export function gcValue(counter: GCounter): number {
  throw new Error('TODO: implement gcValue');
}

/** The counter that has seen the increments of both. */
export function gcMerge(a: GCounter, b: GCounter): GCounter {
  throw new Error('TODO: implement gcMerge');
}

// ── PN-counter ───────────────────────────────────────────────────────────────────────────────

/** A counter that goes both ways: the increments `p` and the decrements `n`, two G-counters. */
export interface PNCounter {
  readonly p: GCounter;
  readonly n: GCounter;
}

/** A counter at 0: `{ p: {}, n: {} }`. */
export function pnEmpty(): PNCounter {
  throw new Error('TODO: implement pnEmpty');
}

/** Adds `delta` (a whole number, negative to decrement) at `replica`; throws a RangeError otherwise. */
export function pnAdd(counter: PNCounter, replica: ReplicaId, delta: number): PNCounter {
  throw new Error('TODO: implement pnAdd');
}

/** The counter's value: increments minus decrements. */
export function pnValue(counter: PNCounter): number {
  throw new Error('TODO: implement pnValue');
}

/** The counter that has seen the updates of both. */
export function pnMerge(a: PNCounter, b: PNCounter): PNCounter {
  throw new Error('TODO: implement pnMerge');
}

// ── OR-set (add-wins) ────────────────────────────────────────────────────────────────────────

/**
 * An observed-remove set of strings. The representation is yours (plain data; the checks only use
 * the functions below). One that works: every add gets a tag no other add ever gets, and a remove
 * records the tags of the adds of that element it has seen (tombstones).
 */
export interface ORSet {
  /** Every add: the element and its unique tag. */
  readonly adds: ReadonlyArray<readonly [element: string, tag: string]>;
  /** The tags of the adds that a remove has seen. */
  readonly removed: readonly string[];
}

/** An empty set. */
export function orEmpty(): ORSet {
  throw new Error('TODO: implement orEmpty');
}

/** Adds `element`, at `replica`. */
export function orAdd(set: ORSet, replica: ReplicaId, element: string): ORSet {
  throw new Error('TODO: implement orAdd');
}

/** Removes `element` as `replica` sees it: an add this state has not seen is not removed. */
export function orRemove(set: ORSet, replica: ReplicaId, element: string): ORSet {
  throw new Error('TODO: implement orRemove');
}

/** The elements in the set, each once, in any order. */
export function orElements(set: ORSet): string[] {
  throw new Error('TODO: implement orElements');
}

/** The set that has seen the adds and removes of both. */
export function orMerge(a: ORSet, b: ORSet): ORSet {
  throw new Error('TODO: implement orMerge');
}

// ── LWW register ─────────────────────────────────────────────────────────────────────────────

/** The value of the write with the largest stamp: a Lamport `time`, ties broken by `replica` id. */
export interface LWWRegister<V = unknown> {
  readonly value: V | undefined;
  readonly time: number;
  readonly replica: ReplicaId;
}

/** A register never written: `{ value: undefined, time: 0, replica: '' }`. */
export function lwwEmpty<V = unknown>(): LWWRegister<V> {
  throw new Error('TODO: implement lwwEmpty');
}

/** A write at `replica`: its time is one more than the register's. */
export function lwwSet<V>(register: LWWRegister<V>, replica: ReplicaId, value: V): LWWRegister<V> {
  throw new Error('TODO: implement lwwSet');
}

/** The register's value (undefined if never written). */
export function lwwGet<V>(register: LWWRegister<V>): V | undefined {
  throw new Error('TODO: implement lwwGet');
}

/** The register holding the write with the larger stamp (time, then replica id). */
export function lwwMerge<V>(a: LWWRegister<V>, b: LWWRegister<V>): LWWRegister<V> {
  throw new Error('TODO: implement lwwMerge');
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

/** What replicas send each other (change it as you like; keep a `type`). */
export interface Gossip {
  type: 'gossip';
  counter: PNCounter;
  set: ORSet;
}

export type Message = ClientRequest | ClientReply | Gossip;

export interface ReplicaOptions {
  /** Send the state to other replicas at least this often, ms. */
  gossipIntervalMs: number;
}

/**
 * One replica (its id is `ctx.id`) holding a PN-counter and an OR-set: it answers clients at once
 * from its own state, gossips its state to its peers every `gossipIntervalMs`, and merges the
 * states it receives. Only `ctx.storage` survives a crash.
 */
export function createReplica(ctx: NodeContext<Message>, options: ReplicaOptions): SimNode<Message> {
  throw new Error('TODO: load the state from ctx.storage, start the gossip timer, answer clients');
}
