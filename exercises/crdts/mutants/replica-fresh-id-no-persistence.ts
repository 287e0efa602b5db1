// mistake: the replica takes a new random id at every start instead of saving its state, so what it acknowledged before a crash, and had not yet gossiped, is lost
// expect: must survive a crash

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

// ── OR-set (add-wins), with dots and a causal context ────────────────────────────────────────

/** One add, named by the replica that made it and that replica's count of adds: a "dot". */
type Dot = readonly [replica: ReplicaId, counter: number];

/**
 * The elements present, each with the dots of the adds that put it there, and the causal context:
 * for each replica, how many of its adds this state has seen (present or since removed). A dot the
 * context covers but that is not present was removed; one it does not cover is simply news.
 */
export interface ORSet {
  readonly entries: ReadonlyArray<readonly [element: string, dots: readonly Dot[]]>;
  readonly seen: Readonly<Record<ReplicaId, number>>;
}

const seenOf = (set: ORSet, replica: ReplicaId): number => (Object.hasOwn(set.seen, replica) ? set.seen[replica]! : 0);

export function orEmpty(): ORSet {
  return { entries: [], seen: {} };
}

/** Adds `element` with a fresh dot; the dots it had here are replaced (this add has seen them). */
export function orAdd(set: ORSet, replica: ReplicaId, element: string): ORSet {
  const counter = seenOf(set, replica) + 1;
  const others = set.entries.filter(([e]) => e !== element);
  return { entries: [...others, [element, [[replica, counter]]]], seen: { ...set.seen, [replica]: counter } };
}

/** Removes `element` as this replica sees it: only the adds observed here; a concurrent add elsewhere survives. */
export function orRemove(set: ORSet, _replica: ReplicaId, element: string): ORSet {
  return { entries: set.entries.filter(([e]) => e !== element), seen: set.seen };
}

export function orElements(set: ORSet): string[] {
  return set.entries.map(([e]) => e);
}

export function orMerge(a: ORSet, b: ORSet): ORSet {
  const keep = (dots: readonly Dot[], here: ORSet, there: ORSet, thereDots: ReadonlySet<string>): Dot[] =>
    // Keep a dot the other side also has, or one it has never seen; drop one it has seen and removed.
    dots.filter(([r, c]) => thereDots.has(`${r}\u0000${c}`) || c > seenOf(there, r));
  const dotsOf = (set: ORSet) => new Map(set.entries.map(([e, dots]) => [e, dots]));
  const [da, db] = [dotsOf(a), dotsOf(b)];
  const key = (dots: readonly Dot[] | undefined) => new Set((dots ?? []).map(([r, c]) => `${r}\u0000${c}`));
  const entries: Array<[string, Dot[]]> = [];
  for (const element of new Set([...da.keys(), ...db.keys()])) {
    const fromA = keep(da.get(element) ?? [], a, b, key(db.get(element)));
    const inA = key(fromA);
    const fromB = keep(db.get(element) ?? [], b, a, key(da.get(element))).filter(([r, c]) => !inA.has(`${r}\u0000${c}`));
    const dots = [...fromA, ...fromB];
    if (dots.length > 0) entries.push([element, dots]);
  }
  const seen: Record<ReplicaId, number> = { ...a.seen };
  for (const replica of Object.keys(b.seen)) seen[replica] = Math.max(seenOf(a, replica), seenOf(b, replica));
  return { entries, seen };
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
  const me = `${ctx.id}-${Math.floor(ctx.random() * 1e9)}`;
  let counter = pnEmpty();
  let set = orEmpty();

  const save = () => {
    // nothing saved: a fresh id at each start keeps the counters apart
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
          counter = pnAdd(counter, me, message.delta);
          save();
          return reply(from, { type: 'add_ok', inReplyTo: message.msgId });
        case 'set_add':
          set = orAdd(set, me, message.element);
          save();
          return reply(from, { type: 'set_add_ok', inReplyTo: message.msgId });
        case 'set_remove':
          set = orRemove(set, me, message.element);
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
