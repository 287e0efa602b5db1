import fc from 'fast-check';
import { test } from 'vitest';
import { check, checkScenario, describeThrown, expectProgress, fail, figure, holds, show, sometimes, streamFor } from 'learn-ds/harness';
import { startNemesis, uniformLatency, type NodeId } from 'learn-ds/sim';
import { findRange, rebalance, splitRange } from 'learn-ds/subject/range-partitioning';
import {
  KEYS, STARTS, cluster, expectLinearizable, idsFor, rangeOf, showRange,
  type Client, type Cluster, type Message, type Op, type Range,
} from './helpers.ts';

// ── the map: lookup, split, rebalance ─────────────────────────────────────────────────────────

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Keys of every shape in turn: random, sequential, mixed case, non-ASCII (and the empty string once). */
function keysOfEveryShape(rand: Rand, count: number): string[] {
  const keys = new Set<string>(['']);
  const prefix = pick(rand, ['user:', 'order/', 'img-', '']);
  for (let i = 0; keys.size < count; i++) {
    switch (i % 4) {
      case 0: keys.add(pick(rand, ['user:', 'session:', 'cart:']) + Math.floor(rand() * 2 ** 40).toString(36)); break;
      case 1: keys.add(`${prefix}${1000 + i}`); break;
      case 2: {
        let word = '';
        for (let c = 0; c < 5; c++) word += String.fromCharCode((rand() < 0.5 ? 65 : 97) + Math.floor(rand() * 26));
        keys.add(word);
        break;
      }
      default: keys.add(pick(rand, ['ключ-', 'clé-', 'キー', 'Ωmega-', 'é', 'É']) + pick(rand, ['Ж', 'ė', '世', 'z', 'A']) + String(i));
    }
  }
  return [...keys];
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Ranges covering every key, starting at '' and at each of `starts` (sorted with <). */
function rangesFrom(starts: readonly string[], owners: readonly NodeId[]): Range[] {
  const all = [...new Set(['', ...starts])].sort(byCodeUnits);
  return all.map((start, i) => ({ start, end: all[i + 1] ?? null, owner: owners[i % owners.length]! }));
}

const showRanges = (rs: readonly Range[]) => rs.map(showRange).join(' ');
const describeRange = (r: unknown) => {
  const x = r as Partial<Range> | undefined;
  return x && typeof x === 'object' && 'start' in x ? `${showRange({ start: x.start as string, end: (x.end ?? null) as string | null })} (owner ${show(x.owner)})` : show(r);
};

function lookup(ranges: readonly Range[], key: string): unknown {
  try {
    return findRange(structuredClone(ranges) as Range[], key);
  } catch (error) {
    return fail(`findRange(ranges, ${show(key)}) threw ${describeThrown(error)}; the ranges ${showRanges(ranges)} cover every key`);
  }
}

test('findRange returns the range with start <= key < end: a key equal to a start belongs to that range, a key equal to an end to the next (string order is JavaScript\'s <)', async () => {
  const owners = ['n1', 'n2', 'n3'];
  // Mixed case and non-ASCII: 'M' < 'Zebra' < 'a' < 'é' in UTF-16 code units; localeCompare orders them otherwise.
  const fixed = rangesFrom(['M', 'a', 'user:', 'é', 'ключ'], owners);
  const cases = ['', 'M', 'Ma', 'Zebra', 'a', 'apple', 'user', 'user:', 'user:42', 'zzz', 'é', 'ête', 'Éclair', 'ключ', 'ключи', '\uffff'];
  // The range a lookup by localeCompare would find: named in the message when that is what came back.
  const byLocale = (key: string) => fixed.find((r) => r.start.localeCompare(key) <= 0 && (r.end === null || key.localeCompare(r.end) < 0));
  for (const key of cases) {
    const want = rangeOf(fixed, key);
    const got = lookup(fixed, key) as Partial<Range> | undefined;
    if (got?.start === want.start) continue;
    const edge = fixed.find((r) => r.end === key);
    fail(`findRange(ranges, ${show(key)}) with ranges ${showRanges(fixed)} returned ${describeRange(got)}; expected ${showRange(want)}` +
      (edge && got?.start === edge.start ? `: a range's end is exclusive, so a key equal to ${show(key)} belongs to the range that starts there` :
        got?.start === byLocale(key)?.start ? `: keys are compared with JavaScript's < (UTF-16 code units: 'Z' < 'a' < 'é'), not localeCompare, which sorts like a dictionary` :
          key === want.start ? `: a range's start is included` :
            `: keys are compared with JavaScript's < (UTF-16 code units: 'Z' < 'a' < 'é'), not localeCompare or a case-insensitive order`));
  }
  await holds(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 2 ** 30 }), (count, salt) => {
    const local = streamFor(`findRange:${salt}`);
    const starts = keysOfEveryShape(local, count + 1).filter((k) => k !== '');
    const ranges = rangesFrom(starts, owners);
    // Every start, and every key of every shape, including the boundaries themselves.
    for (const key of [...starts, ...keysOfEveryShape(local, 12)]) {
      const want = rangeOf(ranges, key);
      const got = lookup(ranges, key) as Partial<Range> | undefined;
      check(got?.start === want.start && got.owner === want.owner,
        () => `findRange(ranges, ${show(key)}) with ranges ${showRanges(ranges)} returned ${describeRange(got)}; expected ${showRange(want)} (owner ${show(want.owner)})` +
          (ranges.some((r) => r.end === key) ? `: a key equal to a range's end belongs to the next range (the end is exclusive)` : ''));
    }
  }), { numRuns: 60 });
});

function split(range: Range, keys: readonly string[], maxKeys: number): unknown {
  try {
    return splitRange({ ...range }, [...keys], maxKeys);
  } catch (error) {
    return fail(`splitRange(${showRange(range)}, ${keys.length} keys, ${maxKeys}) threw ${describeThrown(error)}`);
  }
}

function expectSplit(range: Range, keys: readonly string[], maxKeys: number): void {
  const got = split(range, keys, maxKeys) as Range[];
  const call = `splitRange(${showRange(range)} owned by ${show(range.owner)}, ${keys.length} keys [${keys.slice(0, 8).map((k) => show(k)).join(', ')}${keys.length > 8 ? ', …' : ''}], maxKeys ${maxKeys})`;
  check(Array.isArray(got), () => `${call} returned ${show(got)}; expected an array of ranges`);
  if (keys.length <= maxKeys) {
    check(got.length === 1 && got[0]!.start === range.start && got[0]!.end === range.end && got[0]!.owner === range.owner,
      () => `${call} returned ${got.map(describeRange).join(', ')}; the range holds ${keys.length} keys, ${keys.length === maxKeys ? 'exactly' : 'no more than'} maxKeys, so it is not split: expected [${describeRange(range)}]` +
        (keys.length === maxKeys ? ' (a range splits when it holds more than maxKeys keys, not when it reaches maxKeys)' : ''));
    return;
  }
  const sorted = [...keys].sort(byCodeUnits);
  const at = sorted[Math.floor(sorted.length / 2)]!;
  const want: Range[] = [{ start: range.start, end: at, owner: range.owner }, { start: at, end: range.end, owner: range.owner }];
  const same = got.length === 2 && got.every((r, i) => r.start === want[i]!.start && r.end === want[i]!.end && r.owner === want[i]!.owner);
  check(same, () => {
    const left = got.length === 2 ? sorted.filter((k) => k < (got[0]!.end ?? '\uffff\uffff')).length : undefined;
    return `${call} returned ${got.map(describeRange).join(', ')}; the range holds ${keys.length} keys, more than maxKeys, so it splits at the key at index floor(${keys.length} / 2) = ${Math.floor(keys.length / 2)} ` +
      `of the keys sorted with < (UTF-16 code units), ${show(at)}: expected ${want.map(describeRange).join(', ')}, the left half keeping the ${Math.floor(keys.length / 2)} smallest keys` +
      (left !== undefined ? ` (yours keeps ${left})` : '') + `; both halves keep the owner`;
  });
}

test('splitRange splits a range holding more than maxKeys keys at its median key (index floor(n / 2) of the keys sorted with <), and leaves a range holding exactly maxKeys whole', async () => {
  const rand = streamFor('split');
  const range: Range = { start: 'a', end: 'x', owner: 'n2' };
  // The edge, exactly: maxKeys keys stay, maxKeys + 1 split; a fractional maxKeys counts too.
  expectSplit(range, ['b', 'c', 'd'], 3);
  expectSplit(range, ['d', 'b', 'e', 'c'], 3);
  expectSplit(range, ['b', 'c'], 2.5);
  expectSplit(range, ['c', 'b', 'd'], 2.5);
  expectSplit(range, ['k', 'b'], 1);
  // Mixed case and non-ASCII: sorted with <, 'Zed' < 'apple' < 'éa', where localeCompare puts 'Zed' last.
  expectSplit({ start: '', end: null, owner: 'nœud-4' }, ['éa', 'Zed', 'apple', 'Ärger', 'Bob'], 4);
  expectSplit({ start: '', end: null, owner: 'n1' }, ['ключ', 'Zed', 'apple', 'zebra', 'Apple', 'user:9', 'user:10'], 5);
  await holds(fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 30 }), (n, over, salt) => {
    const keys = keysOfEveryShape(streamFor(`split:${salt}`), n);
    const maxKeys = Math.max(1, n - over + (over === 3 ? 0.5 : 0));
    expectSplit({ start: '', end: null, owner: pick(rand, ['n1', 'Bravo', 'узел-Ж']) }, keys, maxKeys);
  }), { numRuns: 80 });
});

interface Counts {
  moves: number;
  least: number;
}

/** The fewest moves that leave every node of `nodes` with floor or ceil of the mean. */
function fewestMoves(ranges: readonly Range[], nodes: readonly NodeId[]): number {
  const base = Math.floor(ranges.length / nodes.length);
  const extra = ranges.length % nodes.length;
  const counts = nodes.map((n) => ranges.filter((r) => r.owner === n).length).sort((a, b) => b - a);
  const kept = counts.reduce((sum, c, i) => sum + Math.min(c, base + (i < extra ? 1 : 0)), 0);
  return ranges.length - kept;
}

function expectBalanced(ranges: readonly Range[], nodes: readonly NodeId[], story: string): Counts {
  let got: Range[];
  try {
    got = rebalance(structuredClone(ranges) as Range[], [...nodes]);
  } catch (error) {
    return fail(`rebalance(${story}) threw ${describeThrown(error)}`);
  }
  const call = `rebalance(${story})`;
  check(Array.isArray(got) && got.length === ranges.length && got.every((r, i) => r.start === ranges[i]!.start && r.end === ranges[i]!.end),
    () => `${call} returned ${Array.isArray(got) ? showRanges(got) : show(got)}; expected the same ${ranges.length} ranges, in order, with the same boundaries (only owners change)`);
  const strangers = got.filter((r) => !nodes.includes(r.owner));
  check(strangers.length === 0, () => `${call} left ${describeRange(strangers[0])} with ${show(strangers[0]!.owner)}, which is not in the list of nodes ${show(nodes)}`);
  const low = Math.floor(ranges.length / nodes.length);
  const high = Math.ceil(ranges.length / nodes.length);
  for (const node of nodes) {
    const count = got.filter((r) => r.owner === node).length;
    check(count >= low && count <= high,
      () => `${call}: ${node} holds ${count} ranges afterwards; with ${ranges.length} ranges over ${nodes.length} nodes every node holds floor or ceil of the mean, ${low === high ? low : `${low} or ${high}`}` +
        (count > high ? ` (${node} is left over the ceiling: take its surplus away too)` : ''));
  }
  const moves = got.filter((r, i) => r.owner !== ranges[i]!.owner).length;
  const least = fewestMoves(ranges, nodes);
  check(moves === least, () => `${call} moved ${moves} ranges; ${least} ${least === 1 ? 'move is' : 'moves are'} enough: a node keeps the ranges it already has up to its share, ` +
    `the nodes holding the most get the ceil shares, and only the surplus (and the ranges of nodes no longer listed) moves`);
  return { moves, least };
}

test('rebalance gives every node floor or ceil of the mean number of ranges with the fewest moves', async () => {
  const r = (owners: string) => rangesFrom(keysOfEveryShape(streamFor(`rb:${owners}`), owners.length).filter((k) => k !== '').slice(0, owners.length - 1), owners.split(''));
  const cases: Array<[Range[], string[], string]> = [
    [r('aabbcc'), ['a', 'b', 'c'], 'already balanced: nothing moves'],
    [r('aaaabbbbcccc'), ['a', 'b', 'c', 'd'], 'a fourth node joins three of four ranges each'],
    [r('aaabbbccc'), ['a', 'b'], 'c leaves'],
    [r('aaaaaaa'), ['a', 'b', 'c'], 'every range on one node'],
    [r('aaabbc'), ['c', 'b', 'a'], 'uneven: the ceil goes to those who hold most'],
    [r('aaaabbc'), ['a', 'b', 'c', 'd'], 'seven ranges, four nodes'],
    [r('ab'), ['a', 'b', 'c', 'd'], 'more nodes than ranges'],
  ];
  for (const [ranges, nodes, what] of cases) {
    expectBalanced(ranges, nodes, `${what}: ${ranges.length} ranges owned ${show(ranges.map((x) => x.owner).join(''))}, nodes ${show(nodes)}`);
  }
  const ids = ['n1', 'n2', 'Bravo', 'charlie', 'Délta', 'узел-Ж', 'node-10'];
  let total: Counts = { moves: 0, least: 0 };
  await holds(fc.property(
    fc.array(fc.integer({ min: 0, max: ids.length - 1 }), { minLength: 1, maxLength: 30 }),
    fc.uniqueArray(fc.integer({ min: 0, max: ids.length - 1 }), { minLength: 1, maxLength: 6 }),
    fc.integer({ min: 0, max: 2 ** 30 }),
    (owners, members, salt) => {
      const starts = keysOfEveryShape(streamFor(`rb:${salt}`), owners.length + 1).filter((k) => k !== '').slice(0, owners.length - 1);
      const ranges = rangesFrom(starts, owners.map((i) => ids[i]!));
      const nodes = members.map((i) => ids[i]!);
      const counts = expectBalanced(ranges, nodes, `${ranges.length} ranges owned by ${show(ranges.map((x) => x.owner))}, nodes ${show(nodes)}`);
      total = { moves: total.moves + counts.moves, least: total.least + counts.least };
    },
  ), { numRuns: 150 });
  figure('ranges moved by rebalance, over 150 maps', total.moves, { limit: total.least });
});

// ── the simulated cluster ───────────────────────────────────────────────────────────────────────

const LATENCY = 5;
/** Long enough for a request, a redirect and a resend or two. */
const SETTLE = 150;

const answered = (op: Op | undefined) => op !== undefined && Number.isFinite(op.returnTime);
const describeAnswer = (op: Op) => (answered(op) ? (op.input.kind === 'read' ? `get-ok ${show(op.output)}` : 'put-ok') : `no answer within ${SETTLE} ms`);

function wait(c: Cluster, client: Client): Op {
  const op = c.history.ops.at(-1)!;
  c.sim.runUntilTrue(() => answered(op), SETTLE);
  if (client.busy) c.sim.runUntilTrue(() => !client.busy, 1_000);
  return op;
}
const put = (c: Cluster, cl: Client, router: NodeId, key: string, value: string) => (cl.put(router, key, value), wait(c, cl));
const get = (c: Cluster, cl: Client, router: NodeId, key: string) => (cl.get(router, key), wait(c, cl));

/** Runs until the range's latest move is done (its new owner acknowledged the handoff). */
function settle(c: Cluster, start: string, why: string): void {
  const range = showRange(rangeOf(c.map().ranges, start));
  const to = rangeOf(c.map().ranges, start).owner;
  const from = c.maps.at(-2) ? rangeOf(c.maps.at(-2)!.ranges, start).owner : '?';
  if (c.sim.runUntilTrue(() => c.settled(start), SETTLE) === undefined) {
    fail(`${why}: the coordinator moved ${range} from ${from} to ${to} (map epoch ${c.map().epoch}, sent to every node; every message takes ${LATENCY} ms), ` +
      `but ${SETTLE} ms later ${to} had not acknowledged a handoff of it: the old owner sends { type: 'handoff', epoch, start, data, applied } when the map arrives, ` +
      `and again at least every 50 ms until the new owner answers { type: 'handoff-ok', epoch, start }`);
  }
}

/** A key of the range starting at `start`. */
const keyIn = (start: string) => KEYS.find((k) => rangeOf(c0Ranges, k).start === start)!;
const c0Ranges = STARTS.map((start, i) => ({ start, end: STARTS[i + 1] ?? null, owner: '' }));

test('routers send each request to the owner of its key\'s range; a router with a stale map is redirected with the newer map, and the range\'s new owner serves it', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { nodes, routers } = idsFor(seed, 3);
    const c = cluster({ seed, nodes, routers });
    const [r1, r2] = routers as [NodeId, NodeId];
    const cl = c.client('c1');
    // Every key of every range, through one router, then read back through the other.
    for (const key of KEYS) {
      const p = put(c, cl, r1, key, `v-${key}`);
      check(answered(p), () => `put ${show(key)} through router ${r1} got ${describeAnswer(p)}; the owner of ${showRange(rangeOf(c.map().ranges, key))} is ${rangeOf(c.map().ranges, key).owner}, and nothing has moved: ` +
        `the router sends { type: 'write', id, epoch, key, value } to it and answers the client put-ok when write-ok comes back`);
      const owner = rangeOf(c.map().ranges, key).owner;
      const to = c.sent.filter((s) => s.from === r1 && s.t >= p.callTime && (s.message.type === 'write')).map((s) => s.to);
      check(to.length > 0 && to.every((x) => x === owner), () => `put ${show(key)} through ${r1}: the router sent its write to ${show(to)}; expected only ${owner}, the owner of ${showRange(rangeOf(c.map().ranges, key))}: a key belongs to the range with start <= key < end`);
    }
    for (const key of KEYS) {
      const g = get(c, cl, r2, key);
      check(answered(g) && g.output === `v-${key}`, () => `get ${show(key)} through router ${r2} got ${describeAnswer(g)}; expected get-ok ${show(`v-${key}`)}`);
    }
    // The coordinator moves a range; r2 still has the first map.
    const start = STARTS[1 + (seed % (STARTS.length - 1))]!;
    const key = keyIn(start);
    const from = rangeOf(c.map().ranges, key).owner;
    const to = nodes.find((n) => n !== from)!;
    c.move(start, to);
    settle(c, start, 'a move on a quiet network');
    const since = c.sent.length;
    const g = get(c, cl, r2, key);
    const redirected = c.sent.slice(since).some((s) => s.from === from && s.to === r2 && s.message.type === 'redirect');
    check(answered(g) && g.output === `v-${key}`,
      () => `${showRange(rangeOf(c.map().ranges, key))} moved from ${from} to ${to} (map epoch ${c.map().epoch}); router ${r2}, still on the map of epoch 1, was asked to get ${show(key)} and got ${describeAnswer(g)}; expected get-ok ${show(`v-${key}`)}. ` +
        (redirected
          ? `${from} did answer ${r2} with a redirect carrying the map of epoch ${c.map().epoch}, but the router never refreshes its map from it: a router takes the map of a redirect whose epoch is higher than its own and resends the request to the owner it names`
          : `${from} no longer owns that range: to a request whose epoch is lower than its own it answers { type: 'redirect', id, map } with its map, and the router resends to the new owner`));
    const p = put(c, cl, r2, key, 'after-move');
    check(answered(p), () => `a put of ${show(key)} through ${r2} after the move got ${describeAnswer(p)}`);
    expectLinearizable(c);
  });
});

test('the old owner stops serving a range when the map moves it away; the new owner serves it only once it has taken the handoff, resent until acknowledged', () => {
  checkScenario({ seeds: 6, sometimes: ['a request during a handoff'] }, (seed) => {
    const { nodes, routers } = idsFor(seed, 3);
    const c = cluster({ seed, nodes, routers });
    const [r1, r2] = routers as [NodeId, NodeId];
    const start = STARTS[seed % STARTS.length]!;
    const key = keyIn(start);
    const from = rangeOf(c.map().ranges, key).owner;
    const to = nodes.find((n) => n !== from)!;
    const other = KEYS.find((k) => k !== key && rangeOf(c.map().ranges, k).start === start)!;
    const cl = c.client('c1');
    const cl2 = c.client('c2');
    check(answered(put(c, cl, r1, key, 'before')) && answered(put(c, cl, r1, other, 'untouched')),
      () => `a put of ${show(key)} or ${show(other)} through ${r1} on a quiet network was not answered within ${SETTLE} ms`);
    // The first handoff is lost, the next ones wait: the range is in flight for a while.
    c.hold((f, _t, m) => f === from && m.type === 'handoff');
    c.move(start, to);
    c.sim.runFor(LATENCY + 1);
    // Both routers, one still on the first map, ask during the move: nobody may serve.
    const asked = c.sim.now;
    cl.get(r1, key);
    cl2.put(r2, key, 'during');
    c.sim.runFor(60);
    sometimes('a request during a handoff', c.history.ops.some((op) => !answered(op)));
    const early = c.history.ops.filter((op) => answered(op) && op.callTime >= asked);
    check(early.length === 0, () => `${showRange(rangeOf(c.map().ranges, key))} moved from ${from} to ${to}, and its handoff has not reached ${to}; yet ${early.map((op) => describeAnswer(op)).join(' and ')} came back: ` +
      `during a handoff nobody serves the range (the old owner answers redirect, the new owner busy)`);
    const held = c.release();
    check(held.length > 0, () => `${from} lost ${showRange(rangeOf(c.map().ranges, key))} to ${to} in map epoch ${c.map().epoch} but sent no handoff within 60 ms`);
    // The first copy is dropped; whatever was resent while held goes out now.
    for (const s of held.slice(1)) c.sim.sendFrom(s.from, s.to, s.message);
    c.sim.runUntilTrue(() => c.settled(start), SETTLE);
    check(c.settled(start), () => `the first handoff ${from} sent to ${to} was lost, and ${SETTLE} ms later ${to} had still not acknowledged one: ` +
      `the old owner keeps the range's data and resends the handoff at least every 50 ms until { type: 'handoff-ok' } comes back`);
    c.sim.runUntilTrue(() => !cl.busy && !cl2.busy, 400);
    const during = c.history.ops.find((op) => op.client === 'c2' && op.input.kind === 'write')!;
    const g = get(c, cl, r1, key);
    check(answered(g) && (g.output === 'during' || (!answered(during) && g.output === 'before')),
      () => `after the handoff of ${showRange(rangeOf(c.map().ranges, key))} to ${to}, get ${show(key)} through ${r1} got ${describeAnswer(g)}; expected ${answered(during) ? "'during' (acknowledged during the move)" : "'before' or 'during'"}`);
    const u = get(c, cl, r1, other);
    check(answered(u) && u.output === 'untouched',
      () => `after the handoff of ${showRange(rangeOf(c.map().ranges, key))} to ${to} (its first copy lost, the next ones taken), get ${show(other)} through ${r1} got ${describeAnswer(u)}; expected 'untouched', written before the move: ` +
        `every copy of the handoff carries every write the old owner applied, and the old owner forgets the range only once handoff-ok comes back`);
    expectLinearizable(c);
  });
});

test('a write retried after it was applied is applied once, at the same node and after its range moved (the applied ids move with the range)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { nodes, routers } = idsFor(seed, 3);
    const c = cluster({ seed, nodes, routers });
    const [r1] = routers as [NodeId];
    const start = STARTS[(seed + 2) % STARTS.length]!;
    const key = keyIn(start);
    const from = rangeOf(c.map().ranges, key).owner;
    const to = nodes.find((n) => n !== from)!;
    const cl = c.client('c1');
    const again = (node: NodeId, op: Op, when: string) => {
      // The router's write for `op`, as a late duplicate or a resend would bring it.
      const value = (op.input as { value?: unknown }).value;
      const write = c.sent.find((s) => s.from === r1 && s.message.type === 'write' && s.t >= op.callTime && s.message.value === value);
      check(write !== undefined, () => `router ${r1} sent no write for put ${show(key)} = ${show(value)}`);
      const m = write!.message as Extract<Message, { type: 'write' }>;
      c.sim.note(node, `a late copy of write ${show(m.id)} ${when}`);
      c.sim.sendFrom(r1, node, { ...m, epoch: c.map().epoch });
      c.sim.runFor(2 * LATENCY + 1);
      return m.id;
    };
    const first = put(c, cl, r1, key, 'first');
    check(answered(put(c, cl, r1, key, 'second')), () => `a put of ${show(key)} through ${r1} was not answered`);
    const id1 = again(from, first, 'arrives');
    let g = get(c, cl, r1, key);
    check(answered(g) && g.output === 'second', () => `put ${show(key)} = 'first' (id ${show(id1)}) and then 'second' were acknowledged by ${from}; a second copy of the first write (same id) then reached ${from}, and get ${show(key)} returned ${describeAnswer(g)}; ` +
      `expected 'second': a retried write was applied twice. A node remembers the ids of the writes it applied and answers write-ok to a repeat without applying it again`);
    c.move(start, to);
    settle(c, start, 'a move on a quiet network');
    const third = put(c, cl, r1, key, 'third');
    check(answered(third), () => `a put of ${show(key)} through ${r1} after the move to ${to} was not answered`);
    const id2 = again(to, first, `reaches the new owner ${to}`);
    g = get(c, cl, r1, key);
    check(answered(g) && g.output === 'third', () => `put ${show(key)} = 'first' (id ${show(id2)}) was applied by ${from}; the range moved to ${to}, which then applied 'third'; a retry of the first write (same id) reached ${to}, and get ${show(key)} returned ${describeAnswer(g)}; ` +
      `expected 'third': the retried write was applied twice. The ids of the applied writes belong to the range: the handoff carries them (applied), and the new owner checks them`);
    expectLinearizable(c);
  });
});

test('a late handoff or map of an older epoch changes nothing (no data rolled back, no map going back)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { nodes, routers } = idsFor(seed, 3);
    const c = cluster({ seed, nodes, routers });
    const [r1] = routers as [NodeId];
    const start = STARTS[(seed + 1) % STARTS.length]!;
    const key = keyIn(start);
    const a = rangeOf(c.map().ranges, key).owner;
    const b = nodes.find((n) => n !== a)!;
    const cl = c.client('c1');
    put(c, cl, r1, key, 'v1');
    c.move(start, b);
    settle(c, start, 'a move on a quiet network');
    const stale = c.sent.find((s) => s.from === a && s.to === b && s.message.type === 'handoff')!.message;
    const staleMap = structuredClone(c.map());
    put(c, cl, r1, key, 'v2');
    c.move(start, a);
    settle(c, start, 'a move back');
    put(c, cl, r1, key, 'v3');
    // The range goes to b once more; its handoff is held back while a late copy of the first one arrives.
    c.hold((f, t, m) => f === a && t === b && m.type === 'handoff');
    c.move(start, b);
    c.sim.runFor(2 * LATENCY + 1);
    c.sim.note(b, `a late copy of the handoff of epoch ${(stale as { epoch: number }).epoch} arrives`);
    c.sim.sendFrom(a, b, stale);
    c.sim.runFor(2 * LATENCY + 1);
    for (const s of c.release()) c.sim.sendFrom(s.from, s.to, s.message);
    const g = get(c, cl, r1, key);
    const story = () => `${showRange(rangeOf(c.map().ranges, key))} moved ${a} → ${b} (epoch ${(stale as { epoch: number }).epoch}), back to ${a}, where 'v3' was written, then to ${b} again (epoch ${c.map().epoch}); ` +
      `a late copy of the first handoff (epoch ${(stale as { epoch: number }).epoch}, holding 'v1') reached ${b} before the new one, and get ${show(key)} through ${r1} then got ${describeAnswer(g)}; expected 'v3'`;
    check(answered(g), () => `${story()}: once the handoff of epoch ${c.map().epoch} is in, ${b} serves the range`);
    check(g.output === 'v3', () => `${story()}: a node takes a handoff of a range only if its epoch is higher than that of every handoff of that range it took before; an older one is a stale copy`);
    // A late map of an older epoch.
    const before = c.status(a)?.epoch;
    c.sim.sendFrom('coordinator', a, { type: 'map', map: staleMap });
    c.sim.runFor(2 * LATENCY + 1);
    const after = c.status(a)?.epoch;
    check(after === before, () => `${a} followed the map of epoch ${before} and received a late map of epoch ${staleMap.epoch}; its status().epoch is now ${show(after)}: a node adopts a map only if its epoch is higher than its own`);
    const other = KEYS.find((k) => rangeOf(c.map().ranges, k).owner === a && rangeOf(staleMap.ranges, k).owner === a) ?? KEYS[0];
    const p = put(c, cl, r1, other, 'still-served');
    check(answered(p), () => `after a late map of epoch ${staleMap.epoch} reached ${a}, a put of ${show(other)} (owned by ${rangeOf(c.map().ranges, other).owner} in the latest map) got ${describeAnswer(p)}`);
    expectLinearizable(c);
  });
});

test('a node keeps its map, its ranges, their data and its unfinished handoffs in ctx.storage: a crash loses none of them', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { nodes, routers } = idsFor(seed, 3);
    const c = cluster({ seed, nodes, routers, rebroadcastMs: 50 });
    const [r1] = routers as [NodeId];
    const start = STARTS[(seed + 3) % STARTS.length]!;
    const key = keyIn(start);
    const a = rangeOf(c.map().ranges, key).owner;
    const b = nodes.find((n) => n !== a)!;
    const cl = c.client('c1');
    put(c, cl, r1, key, 'kept');
    c.sim.crash(a);
    c.sim.runFor(10);
    c.sim.restart(a);
    let g = get(c, cl, r1, key);
    check(answered(g) && g.output === 'kept', () => `${a} acknowledged put ${show(key)} = 'kept', crashed and restarted; then get ${show(key)} through ${r1} got ${describeAnswer(g)}; expected 'kept': ` +
      `keep every range's data in ctx.storage (only it survives a crash), written before write-ok goes out`);
    // The map moves the range away while a is cut off from b; a crashes with the handoff unsent.
    c.sim.blockOneWay(a, b);
    c.move(start, b);
    c.sim.runFor(3 * LATENCY);
    c.sim.crash(a);
    c.sim.heal();
    c.sim.runFor(20);
    c.sim.restart(a);
    const restartedAt = c.sim.now;
    expectProgress(c.sim, {
      within: 250,
      what: `${b} acknowledging the handoff of ${showRange(rangeOf(c.map().ranges, key))} (${a} adopted the map of epoch ${c.map().epoch} that moves it to ${b}, crashed before any handoff got through, and restarted at ${restartedAt.toFixed(1)} ms: ` +
        `an unfinished handoff is kept in ctx.storage and resent after a restart)`,
      until: () => c.settled(start),
      faultsEndedAt: restartedAt,
    });
    g = get(c, cl, r1, key);
    check(answered(g) && g.output === 'kept', () => `after ${a} crashed during its handoff of ${showRange(rangeOf(c.map().ranges, key))} to ${b} and restarted, get ${show(key)} got ${describeAnswer(g)}; expected 'kept'`);
    expectLinearizable(c);
  });
});

/** The coordinator moves a random settled range to another node every 60 to 160 ms until `until`. */
function mover(c: Cluster, until: number): void {
  const next = () => {
    if (c.sim.now >= until) return;
    const free = STARTS.filter((s) => c.settled(s));
    if (free.length > 0) {
      const start = free[Math.floor(c.sim.random() * free.length)]!;
      const owner = rangeOf(c.map().ranges, start).owner;
      const others = c.nodes.filter((n) => n !== owner);
      c.move(start, others[Math.floor(c.sim.random() * others.length)]!);
    }
    c.sim.after(60 + c.sim.random() * 100, next);
  };
  c.sim.after(40, next);
}

function workload(c: Cluster, until: number): void {
  let written = 0;
  for (const name of ['c1', 'c2', 'c3']) {
    const cl = c.client(name, 250);
    const next = () => {
      if (c.sim.now >= until) return;
      const key = KEYS[Math.floor(c.sim.random() * KEYS.length)]!;
      const router = c.routers[Math.floor(c.sim.random() * c.routers.length)]!;
      const again = () => c.sim.after(c.sim.random() * 10, next);
      if (c.sim.random() < 0.5) cl.put(router, key, `v${++written}`, again);
      else cl.get(router, key, again);
    };
    c.sim.after(c.sim.random() * 10, next);
  }
}

test('under lost, duplicated and delayed messages, partitions, crashes and pauses, with ranges moving, gets and puts through the routers stay linearizable and no acknowledged write is lost', () => {
  checkScenario({ seeds: 24, sometimes: ['a move completed under faults', 'a request redirected'] }, (seed) => {
    const { nodes, routers } = idsFor(seed, 4);
    const c = cluster({ seed, nodes, routers, network: { latency: uniformLatency(2, 10), loss: 0.03, duplicate: 0.05 }, rebroadcastMs: 50 });
    const until = 1_200;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'crash', 'pause', 'loss'], gapMs: [50, 200], durationMs: [100, 300], pauseMs: [50, 150], until });
    mover(c, until);
    workload(c, until);
    c.sim.runUntil(until + 300);
    sometimes('a move completed under faults', c.maps.length > 3 && STARTS.some((s) => c.settled(s)));
    sometimes('a request redirected', c.sent.some((s) => s.message.type === 'redirect'));
    expectLinearizable(c);
  });
});

test('after the faults end, every range is taken by its owner and every get and put through any router is answered within 300 ms', () => {
  checkScenario({ seeds: 12 }, (seed) => {
    const { nodes, routers } = idsFor(seed, 4);
    const c = cluster({ seed, nodes, routers, network: { latency: uniformLatency(2, 10), loss: 0.03, duplicate: 0.05 }, rebroadcastMs: 50 });
    const until = 800;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'crash', 'loss'], gapMs: [50, 200], durationMs: [100, 300], until });
    mover(c, until);
    c.sim.runUntil(until);
    // The faults are over: the network delivers again (clients do not retry a lost answer).
    c.sim.network = { ...c.sim.network, loss: 0 };
    const endedAt = c.sim.now;
    expectProgress(c.sim, {
      within: 300,
      what: `every range's latest move done (its new owner acknowledging the handoff)`,
      until: () => STARTS.every((s) => c.settled(s)),
      faultsEndedAt: endedAt,
    });
    const cl = c.client('final');
    for (const router of routers) {
      for (const key of KEYS.filter((_, i) => i % 2 === 1)) {
        const p = put(c, cl, router, key, `last-${router}`);
        check(answered(p), () => `the faults ended at ${endedAt.toFixed(1)} ms and every range has been handed to its owner; a put of ${show(key)} through router ${router} then got ${describeAnswer(p)}: ` +
          `a router whose map is stale is redirected by the old owner and resends to the owner the newer map names`);
      }
    }
    expectLinearizable(c);
  });
});
