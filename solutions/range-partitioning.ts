/**
 * Range partitioning (Bigtable tablets, HBase regions, CockroachDB ranges): the key space is cut
 * into ranges [start, end) in string order, a range that grows too big is split at its median key,
 * ranges are spread over nodes with as few moves as possible, and a move is a handoff from the old
 * owner to the new one, numbered by the map's epoch, while routers follow the map and are
 * redirected when theirs is stale.
 * Reference solution for learn-ds's range-partitioning exercise.
 */
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** The keys from `start` (included) up to `end` (excluded; null: no end), held by `owner`. */
export interface Range {
  start: string;
  end: string | null;
  owner: NodeId;
}

/** Ranges sorted by start, the first starting at '', each ending where the next starts, the last at null. */
export interface PartitionMap {
  epoch: number;
  ranges: Range[];
}

/** The range holding `key`: start <= key < end, in JavaScript's string order (UTF-16 code units). */
export function findRange(ranges: readonly Range[], key: string): Range {
  const range = ranges.find((r) => r.start <= key && (r.end === null || key < r.end));
  if (range === undefined) throw new Error(`no range holds ${JSON.stringify(key)}: the ranges must cover every key`);
  return range;
}

/**
 * Splits `range` in two at its median key when it holds more than `maxKeys` keys: the split key is
 * the key at index floor(n / 2) of the keys sorted, and starts the right half. Otherwise [range].
 */
export function splitRange(range: Range, keys: readonly string[], maxKeys: number): Range[] {
  if (keys.length <= maxKeys) return [{ ...range }];
  // The default sort compares UTF-16 code units, as < does: the order of the ranges themselves.
  const sorted = [...keys].sort();
  const at = sorted[Math.floor(sorted.length / 2)]!;
  return [
    { start: range.start, end: at, owner: range.owner },
    { start: at, end: range.end, owner: range.owner },
  ];
}

/**
 * Gives every node of `nodes` floor or ceil of the mean number of ranges, moving as few ranges as
 * possible: the ceil goes to the nodes that already hold the most, every node keeps what it may,
 * and only the surplus (and the ranges of nodes no longer listed) moves.
 */
export function rebalance(ranges: readonly Range[], nodes: readonly NodeId[]): Range[] {
  const base = Math.floor(ranges.length / nodes.length);
  const extra = ranges.length % nodes.length;
  const count = new Map<NodeId, number>(nodes.map((n) => [n, 0]));
  for (const r of ranges) if (count.has(r.owner)) count.set(r.owner, count.get(r.owner)! + 1);
  const byLoad = [...nodes].sort((a, b) => count.get(b)! - count.get(a)!);
  const target = new Map<NodeId, number>(byLoad.map((n, i) => [n, base + (i < extra ? 1 : 0)]));
  const kept = new Map<NodeId, number>(nodes.map((n) => [n, 0]));
  const out = ranges.map((r) => ({ ...r }));
  const moving: Range[] = [];
  for (const r of out) {
    const k = kept.get(r.owner);
    if (k !== undefined && k < target.get(r.owner)!) kept.set(r.owner, k + 1);
    else moving.push(r);
  }
  for (const node of nodes) {
    while (kept.get(node)! < target.get(node)!) {
      moving.pop()!.owner = node;
      kept.set(node, kept.get(node)! + 1);
    }
  }
  return out;
}

// ── the simulated cluster ─────────────────────────────────────────────────────────────────────

/** What a node holds of one range: its keys and the ids of the writes already applied to it. */
export interface Held {
  data: Record<string, string>;
  applied: string[];
}

export type Message =
  // coordinator → node
  | { type: 'map'; map: PartitionMap }
  // client → router, and the answers
  | { type: 'get'; msgId: number; key: string }
  | { type: 'put'; msgId: number; key: string; value: string }
  | { type: 'get-ok'; inReplyTo: number; value: string | null }
  | { type: 'put-ok'; inReplyTo: number }
  // router → node, and the answers
  | { type: 'read'; id: string; epoch: number; key: string }
  | { type: 'write'; id: string; epoch: number; key: string; value: string }
  | { type: 'read-ok'; id: string; value: string | null }
  | { type: 'write-ok'; id: string }
  | { type: 'redirect'; id: string; map: PartitionMap }
  | { type: 'busy'; id: string }
  // old owner → new owner, and back
  | ({ type: 'handoff'; epoch: number; start: string } & Held)
  | { type: 'handoff-ok'; epoch: number; start: string };

export interface NodeStatus {
  /** The epoch of the map this node follows. */
  epoch: number;
  /** The starts of the ranges this node holds and serves. */
  serving: string[];
}

export interface RangeNode extends SimNode<Message> {
  status(): NodeStatus;
}

/** Resend period of handoffs and of unanswered requests, ms. */
const RESEND_MS = 20;
/** A router forgets a request this long after it came (its client has given up). */
const GIVE_UP_MS = 1_000;

interface Outgoing extends Held {
  /** The new owner, in the map that moved the range away: the one node that may take it. */
  to: NodeId;
  /** That map's epoch: it names this handoff. */
  epoch: number;
}

interface NodeState {
  map: PartitionMap;
  /** Ranges this node holds and serves, by start. */
  held: Record<string, Held>;
  /** Ranges handed off and not yet acknowledged by their new owner, by start. */
  outgoing: Record<string, Outgoing>;
  /** The epoch of the last handoff this node took of each range (the first map's epoch for its own ranges). */
  taken: Record<string, number>;
}

export function createRangeNode(ctx: NodeContext<Message>, options: { map: PartitionMap }): RangeNode {
  const saved = ctx.storage.get<NodeState>('state');
  const mine = options.map.ranges.filter((r) => r.owner === ctx.id);
  const state: NodeState = saved ?? {
    map: structuredClone(options.map),
    held: Object.fromEntries(mine.map((r) => [r.start, { data: {}, applied: [] }])),
    outgoing: {},
    taken: Object.fromEntries(mine.map((r) => [r.start, options.map.epoch])),
  };
  // Everything lives in ctx.storage, written before any message that depends on it goes out.
  const save = () => ctx.storage.set('state', state);
  if (saved === undefined) save();

  const ownerOf = (start: string) => state.map.ranges.find((r) => r.start === start)?.owner;

  function sendHandoffs(): void {
    for (const [start, { to, epoch, data, applied }] of Object.entries(state.outgoing)) {
      ctx.send(to, { type: 'handoff', epoch, start, data, applied });
    }
  }

  function adopt(map: PartitionMap): void {
    state.map = structuredClone(map);
    // Stop serving what moved away before telling anyone: from now on only the handoff has it.
    for (const [start, held] of Object.entries(state.held)) {
      const owner = ownerOf(start);
      if (owner === ctx.id || owner === undefined) continue;
      state.outgoing[start] = { ...held, to: owner, epoch: map.epoch };
      delete state.held[start];
    }
    save();
    sendHandoffs();
  }

  const tick = () => {
    sendHandoffs();
    ctx.setTimer(RESEND_MS, tick);
  };
  ctx.setTimer(RESEND_MS, tick);

  function request(from: NodeId, m: Extract<Message, { type: 'read' | 'write' }>): void {
    const range = findRange(state.map.ranges, m.key);
    const held = range.owner === ctx.id ? state.held[range.start] : undefined;
    if (held === undefined) {
      if (range.owner !== ctx.id && m.epoch < state.map.epoch) ctx.send(from, { type: 'redirect', id: m.id, map: state.map });
      else ctx.send(from, { type: 'busy', id: m.id });
      return;
    }
    if (m.type === 'read') {
      ctx.send(from, { type: 'read-ok', id: m.id, value: held.data[m.key] ?? null });
      return;
    }
    if (!held.applied.includes(m.id)) {
      held.data[m.key] = m.value;
      held.applied.push(m.id);
      save();
    }
    ctx.send(from, { type: 'write-ok', id: m.id });
  }

  return {
    receive(from, m) {
      switch (m.type) {
        case 'map':
          if (m.map.epoch > state.map.epoch) adopt(m.map);
          return;
        case 'read':
        case 'write':
          request(from, m);
          return;
        case 'handoff': {
          if (m.epoch > (state.taken[m.start] ?? 0) && ownerOf(m.start) === ctx.id && state.held[m.start] === undefined) {
            state.held[m.start] = { data: { ...m.data }, applied: [...m.applied] };
            state.taken[m.start] = m.epoch;
            delete state.outgoing[m.start];
            save();
          }
          // Taken now or before (a resend whose answer was lost): the old owner may forget it.
          if (m.epoch <= (state.taken[m.start] ?? 0)) ctx.send(from, { type: 'handoff-ok', epoch: m.epoch, start: m.start });
          return;
        }
        case 'handoff-ok': {
          const out = state.outgoing[m.start];
          if (out === undefined || out.to !== from || out.epoch !== m.epoch) return;
          delete state.outgoing[m.start];
          save();
          return;
        }
        default:
          return;
      }
    },
    status: () => ({ epoch: state.map.epoch, serving: Object.keys(state.held) }),
  };
}

interface Pending {
  client: NodeId;
  msgId: number;
  key: string;
  value: string | undefined;
  since: number;
}

export function createRouter(ctx: NodeContext<Message>, options: { map: PartitionMap }): SimNode<Message> {
  let map = structuredClone(options.map);
  const pending = new Map<string, Pending>();

  function forward(id: string, p: Pending): void {
    const owner = findRange(map.ranges, p.key).owner;
    if (p.value === undefined) ctx.send(owner, { type: 'read', id, epoch: map.epoch, key: p.key });
    else ctx.send(owner, { type: 'write', id, epoch: map.epoch, key: p.key, value: p.value });
  }

  const tick = () => {
    for (const [id, p] of pending) {
      if (ctx.now() - p.since > GIVE_UP_MS) pending.delete(id);
      else forward(id, p);
    }
    ctx.setTimer(RESEND_MS, tick);
  };
  ctx.setTimer(RESEND_MS, tick);

  return {
    receive(from, m) {
      switch (m.type) {
        case 'get':
        case 'put': {
          // The same id on every resend, so that a node applies a write once however often it arrives.
          const id = `${from}/${m.msgId}`;
          const p: Pending = { client: from, msgId: m.msgId, key: m.key, value: m.type === 'put' ? m.value : undefined, since: ctx.now() };
          pending.set(id, p);
          forward(id, p);
          return;
        }
        case 'read-ok':
        case 'write-ok': {
          const p = pending.get(m.id);
          if (p === undefined) return;
          pending.delete(m.id);
          if (m.type === 'read-ok') ctx.send(p.client, { type: 'get-ok', inReplyTo: p.msgId, value: m.value });
          else ctx.send(p.client, { type: 'put-ok', inReplyTo: p.msgId });
          return;
        }
        case 'redirect': {
          if (m.map.epoch <= map.epoch) return;
          map = structuredClone(m.map);
          const p = pending.get(m.id);
          if (p !== undefined) forward(m.id, p);
          return;
        }
        default:
          return;
      }
    },
  };
}
