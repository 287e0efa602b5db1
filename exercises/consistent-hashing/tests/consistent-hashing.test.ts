import { test } from 'vitest';
import { check, describeThrown, fail, streamFor } from 'learn-ds/harness';
import { HashRing } from 'learn-ds/subject/consistent-hashing';

type Ring = InstanceType<typeof HashRing>;
type Rand = () => number;

// ---------------------------------------------------------------- inputs drawn from the seed

const NODE_PREFIXES = ['cache', 'db', 'node', 'shard', 'redis', 'store'];
const KEY_PREFIXES = ['user:', 'session:', 'order/', 'img-', 'cart:', ''];

function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/**
 * Characters that share their low byte: a hash fed Latin-1 bytes (Buffer.from(s, 'latin1')) or
 * `charCodeAt(i) & 0xff` cannot tell names made of them apart.
 */
const LOW_BYTE_TWINS = ['\u0416', '\u0116', '\u0616', '\u4e16'];

type NameShape = 'hex' | 'sequential' | 'non-ASCII';

/**
 * `count` distinct node names sharing one prefix (as a real fleet does): "cache-7f3a" (hex),
 * "cache-01", "cache-02", … (sequential) or "узел-ЖĖؖ世" (non-ASCII).
 */
function nodeNames(rand: Rand, count: number, shape: NameShape = 'hex'): string[] {
  const prefix = pick(rand, NODE_PREFIXES);
  const names = new Set<string>();
  for (let i = 1; names.size < count; i++) {
    let suffix = '';
    if (shape === 'sequential') suffix = String(i).padStart(2, '0');
    else if (shape === 'non-ASCII') for (let c = 0; c < 4; c++) suffix += pick(rand, LOW_BYTE_TWINS);
    else for (let c = 0; c < 4; c++) suffix += Math.floor(rand() * 16).toString(16);
    names.add(shape === 'non-ASCII' ? `узел-${suffix}` : `${prefix}-${suffix}`);
  }
  return [...names];
}

/**
 * `count` keys of every shape, in turn: random ("user:k3j9x0a1", "order/2kd81"), sequential
 * ("user:1000", "user:1001", …), mixed case ("Cart:xQbRt"), non-ASCII ("ключ-ЖĖ世").
 */
function randomKeys(rand: Rand, count: number): string[] {
  const keys: string[] = [];
  const prefix = pick(rand, KEY_PREFIXES);
  for (let i = 0; i < count; i++) {
    switch (i % 4) {
      case 0:
        keys.push(pick(rand, KEY_PREFIXES) + Math.floor(rand() * 2 ** 40).toString(36));
        break;
      case 1:
        keys.push(`${prefix}${1000 + i}`);
        break;
      case 2: {
        let word = '';
        for (let c = 0; c < 6; c++) {
          const letter = String.fromCharCode(97 + Math.floor(rand() * 26));
          word += rand() < 0.5 ? letter : letter.toUpperCase();
        }
        keys.push(`${pick(rand, KEY_PREFIXES)}${word}`);
        break;
      }
      default: {
        let word = String(Math.floor(rand() * 1000));
        for (let c = 0; c < 3; c++) word += pick(rand, LOW_BYTE_TWINS);
        keys.push(`ключ-${word}`);
      }
    }
  }
  return keys;
}

function shuffled<T>(rand: Rand, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------- describing what happened

const q = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;
const list = (nodes: readonly string[]): string => `[${nodes.map(q).join(', ')}]`;

/** Calls `action` (an add or a remove), failing with a readable message if it throws. */
function act(what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    fail(`${what} threw ${describeThrown(error)}; add and remove must never throw`);
  }
}

function ringOf(nodes: readonly string[], options?: { virtualNodes?: number }): Ring {
  let ring: Ring;
  try {
    ring = options === undefined ? new HashRing() : new HashRing(options);
  } catch (error) {
    fail(`new HashRing(${options === undefined ? '' : q(options)}) threw ${describeThrown(error)}`);
  }
  for (const node of nodes) act(`add(${q(node)})`, () => ring.add(node));
  return ring;
}

/**
 * The owner of every key, failing as soon as `get` returns something that is not on the ring.
 * `where` describes the ring for the message ("on a ring of 10 nodes").
 */
function ownersOf(ring: Ring, keys: readonly string[], members: readonly string[], where: string, history?: string): string[] {
  const onRing = new Set(members);
  const owners: string[] = [];
  for (const key of keys) {
    let owner: unknown;
    try {
      owner = ring.get(key);
    } catch (error) {
      fail(`${where}, get(${q(key)}) threw ${describeThrown(error)}`);
    }
    if (typeof owner !== 'string' || !onRing.has(owner)) {
      const wrap =
        owner === undefined
          ? '; on a ring with nodes every key has an owner: a key that hashes past the last point of the ring wraps around to the first point'
          : '';
      fail(
        `${where}, get(${q(key)}) returned ${q(owner)}${typeof owner === 'string' ? ', a node that is not on the ring' : ''}; ` +
          `expected one of the nodes on the ring${wrap}`,
        `nodes on the ring: ${list(members)}${history === undefined ? '' : `\n${history}`}`,
      );
    }
    owners.push(owner);
  }
  return owners;
}

/** Fails unless two mappings of the same keys agree, naming the first key they disagree on. */
function sameMapping(keys: readonly string[], a: readonly string[], b: readonly string[], problem: (summary: string) => string, detail?: string): void {
  let differ = 0;
  let first = -1;
  for (let i = 0; i < keys.length; i++) {
    if (a[i] !== b[i]) {
      differ++;
      if (first === -1) first = i;
    }
  }
  if (differ === 0) return;
  const summary =
    `${differ} of ${keys.length} keys map differently, ` +
    `e.g. get(${q(keys[first])}) is ${q(a[first])} on one and ${q(b[first])} on the other`;
  fail(problem(summary), detail);
}

// ---------------------------------------------------------------- edge cases

test('get returns undefined on an empty ring', () => {
  const keys = randomKeys(streamFor('empty'), 20);
  for (const options of [undefined, { virtualNodes: 10 }]) {
    const ring = ringOf([], options);
    for (const key of keys) {
      const owner = ring.get(key);
      check(
        owner === undefined,
        `on a ring with no node${options ? ` (created with ${q(options)})` : ''}, get(${q(key)}) returned ${q(owner)}; expected undefined`,
      );
    }
  }
});

test('a ring with a single node maps every key to it', () => {
  const rand = streamFor('single');
  const keys = randomKeys(rand, 500);
  const alone = nodeNames(rand, 1)[0]!;
  ownersOf(ringOf([alone]), keys, [alone], `on a ring holding only ${q(alone)}`);
  // With one point per node, the last point of the ring sits anywhere: many keys hash past it.
  for (const node of nodeNames(rand, 20)) {
    ownersOf(ringOf([node], { virtualNodes: 1 }), keys, [node], `on a ring holding only ${q(node)} (created with { virtualNodes: 1 })`);
  }
});

test('removing every node empties the ring: get returns undefined again', () => {
  const rand = streamFor('remove-all');
  const keys = randomKeys(rand, 50);
  const nodes = nodeNames(rand, 3);
  const ring = ringOf(nodes);
  for (const node of nodes) act(`remove(${q(node)})`, () => ring.remove(node));
  for (const key of keys) {
    const owner = ring.get(key);
    check(
      owner === undefined,
      `after add() then remove() of each of ${list(nodes)}, get(${q(key)}) returned ${q(owner)}; expected undefined (the ring is empty)`,
    );
  }
});

test('adding a node that is already on the ring changes nothing', () => {
  const rand = streamFor('add-present');
  const keys = randomKeys(rand, 3_000);
  const nodes = nodeNames(rand, 10);
  const ring = ringOf(nodes);
  const before = ownersOf(ring, keys, nodes, 'on a ring of 10 nodes');
  const again = pick(rand, nodes);
  act(`add(${q(again)}) of a node already on the ring`, () => ring.add(again));
  const after = ownersOf(ring, keys, nodes, `after add(${q(again)}) of a node already on the ring`);
  sameMapping(
    keys,
    before,
    after,
    (summary) =>
      `adding ${q(again)}, already on the ring, a second time changed the mapping: ${summary}; ` +
      'adding a node that is already present must change nothing',
  );
});

test('a node added twice is taken off the ring by a single remove', () => {
  const rand = streamFor('add-twice');
  const keys = randomKeys(rand, 2_000);
  const nodes = nodeNames(rand, 5);
  const target = nodes[0]!;
  const rest = nodes.slice(1);
  for (const twice of [false, true]) {
    const ring = ringOf(nodes);
    if (twice) act(`add(${q(target)}) of a node already on the ring`, () => ring.add(target));
    act(`remove(${q(target)})`, () => ring.remove(target));
    const story = twice ? `after add(${q(target)}) twice then remove(${q(target)}) once` : `after remove(${q(target)})`;
    for (const key of keys) {
      const owner = ring.get(key);
      if (owner === target) {
        fail(
          `${story}, get(${q(key)}) still returned ${q(target)}; ` +
            (twice
              ? 'adding a node that is already on the ring changes nothing, so a single remove takes it off'
              : 'a removed node must own no key'),
          `nodes still on the ring: ${list(rest)}`,
        );
      }
    }
    ownersOf(ring, keys, rest, story);
  }
});

test('removing a node that is not on the ring changes nothing', () => {
  const rand = streamFor('remove-absent');
  const keys = randomKeys(rand, 3_000);
  const nodes = nodeNames(rand, 11);
  const ghost = nodes.pop()!;
  const empty = ringOf([]);
  act(`remove(${q(ghost)}) on an empty ring`, () => empty.remove(ghost));
  const owner = empty.get(keys[0]!);
  check(owner === undefined, `after remove(${q(ghost)}) on an empty ring, get(${q(keys[0])}) returned ${q(owner)}; expected undefined`);

  const ring = ringOf(nodes);
  const before = ownersOf(ring, keys, nodes, 'on a ring of 10 nodes');
  act(`remove(${q(ghost)}) of a node that is not on the ring`, () => ring.remove(ghost));
  const after = ownersOf(ring, keys, nodes, `after remove(${q(ghost)}) of a node that is not on the ring`);
  sameMapping(
    keys,
    before,
    after,
    (summary) => `removing ${q(ghost)}, which is not on the ring, changed the mapping: ${summary}; it must change nothing`,
    `nodes on the ring: ${list(nodes)}`,
  );
});

// ---------------------------------------------------------------- the mapping depends only on the set of nodes

test('two rings given the same nodes map every key the same way', () => {
  const rand = streamFor('same-instance');
  const keys = randomKeys(rand, 5_000);
  const nodes = nodeNames(rand, 8);
  const a = ownersOf(ringOf(nodes), keys, nodes, 'on a ring of 8 nodes');
  const b = ownersOf(ringOf(nodes), keys, nodes, 'on a second ring of the same 8 nodes');
  sameMapping(
    keys,
    a,
    b,
    (summary) =>
      `two rings given the same nodes in the same order disagree: ${summary}; ` +
      'the ring must depend only on its nodes (no randomness, no state shared between or specific to instances)',
    `nodes (in order): ${list(nodes)}`,
  );
});

test('the mapping does not depend on the order nodes were added in', () => {
  const rand = streamFor('order');
  const keys = randomKeys(rand, 5_000);
  const nodes = nodeNames(rand, 8);
  const base = ownersOf(ringOf(nodes), keys, nodes, 'on a ring of 8 nodes');
  let other = shuffled(rand, nodes);
  if (other.every((n, i) => n === nodes[i])) other = [...nodes].reverse();
  for (const order of [other, [...nodes].reverse()]) {
    const mapped = ownersOf(ringOf(order), keys, nodes, 'on a ring of 8 nodes');
    sameMapping(
      keys,
      base,
      mapped,
      (summary) =>
        `two rings holding the same nodes, added in a different order, disagree: ${summary}; ` +
        "a node's points must depend only on its name, not on when it was added",
      `first order: ${list(nodes)}\nsecond order: ${list(order)}`,
    );
  }
});

test('a ring that went through adds and removes maps keys like a fresh ring of the same nodes', () => {
  const rand = streamFor('churn');
  const keys = randomKeys(rand, 5_000);
  const all = nodeNames(rand, 12);
  const nodes = all.slice(0, 8);
  const extras = all.slice(8);
  const fresh = ownersOf(ringOf(nodes), keys, nodes, 'on a ring of 8 nodes');

  // The same 8 nodes in the end, reached through temporary nodes and a node removed and re-added.
  const order = shuffled(rand, [...nodes, ...extras]);
  const history: string[] = [];
  const ring = ringOf([]);
  for (const node of order) {
    act(`add(${q(node)})`, () => ring.add(node));
    history.push(`add(${q(node)})`);
  }
  const bounced = pick(rand, nodes);
  for (const node of [...shuffled(rand, extras), bounced]) {
    act(`remove(${q(node)})`, () => ring.remove(node));
    history.push(`remove(${q(node)})`);
  }
  act(`add(${q(bounced)})`, () => ring.add(bounced));
  history.push(`add(${q(bounced)})`);

  const churned = ownersOf(ring, keys, nodes, 'on a ring built by adding and removing nodes', `operations: ${history.join(', ')}`);
  sameMapping(
    keys,
    fresh,
    churned,
    (summary) =>
      `a ring built by adding and removing nodes disagrees with a fresh ring of the same 8 nodes: ${summary}; ` +
      'the mapping must depend only on the nodes on the ring now',
    `operations on the first ring: ${history.join(', ')}\nsecond ring: add() of ${list(nodes)}`,
  );
});

// ---------------------------------------------------------------- balance and movement

test('with the default virtual nodes, no node of 10 owns more than 1.5x the mean share of keys', () => {
  const rand = streamFor('balance');
  const keys = randomKeys(rand, 16_000);
  const mean = keys.length / 10;
  // Shares are measured on a sample of keys, so allow 3 standard deviations of sampling error
  // above 1.5x the mean: a node whose true share is 1.5x the mean stays under this bound.
  const margin = Math.round(3 * Math.sqrt(1.5 * mean));
  const limit = 1.5 * mean + margin;
  // Node names of every shape in every run: a hash that spreads only one shape well must fail.
  for (const shape of ['hex', 'hex', 'sequential', 'non-ASCII'] as const) {
    const nodes = nodeNames(rand, 10, shape);
    const owners = ownersOf(ringOf(nodes), keys, nodes, `on a ring of 10 nodes named like ${q(nodes[0])}`);
    const counts = new Map(nodes.map((n) => [n, 0]));
    for (const owner of owners) counts.set(owner, counts.get(owner)! + 1);
    const shares = [...counts].sort((a, b) => b[1] - a[1]);
    const [top, most] = shares[0]!;
    check(
      most <= limit,
      () =>
        `on a ring of 10 nodes named like ${q(nodes[0])} (default options), ${q(top)} owns ${most} of ${keys.length} keys, ` +
        `${(most / mean).toFixed(2)}x the mean share of ${mean}; expected at most 1.5x the mean ` +
        `(${1.5 * mean} keys, plus ${margin} for sampling error). ` +
        'Each node needs many points on the ring (100 by default), spread by a hash that sends similar strings ' +
        'far apart (plain FNV-1a or a sum of character codes puts "node#1", "node#2"... close together)',
      `keys owned by each node: ${shares.map(([n, c]) => `${n} ${c} (${(c / mean).toFixed(2)}x)`).join(', ')}`,
    );
  }
});

test('adding a node moves keys only to the new node, and only about 1/N of them', () => {
  const rand = streamFor('add-moves');
  const keys = randomKeys(rand, 6_000);
  for (let round = 0; round < 2; round++) {
    const all = nodeNames(rand, 11);
    const old = all.slice(0, 10);
    const newcomer = all[10]!;
    const ring = ringOf(old);
    const before = ownersOf(ring, keys, old, 'on a ring of 10 nodes');
    act(`add(${q(newcomer)})`, () => ring.add(newcomer));
    const after = ownersOf(ring, keys, all, `after add(${q(newcomer)}) to a ring of 10 nodes`);

    let moved = 0;
    let astray = 0;
    let firstAstray = -1;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === after[i]) continue;
      moved++;
      if (after[i] !== newcomer) {
        astray++;
        if (firstAstray === -1) firstAstray = i;
      }
    }
    if (astray > 0) {
      fail(
        `after add(${q(newcomer)}) to a ring of 10 nodes, key ${q(keys[firstAstray])} moved from ` +
          `${q(before[firstAstray])} to ${q(after[firstAstray])}; keys may move only to the new node, ` +
          `yet ${astray} of ${keys.length} keys (${pct(astray, keys.length)}) moved between nodes already on the ring`,
        `nodes before: ${list(old)}`,
      );
    }
    check(moved > 0, `after add(${q(newcomer)}) to a ring of 10 nodes, no key moved: the new node owns none of ${keys.length} keys`);
    check(
      moved <= (2 / 11) * keys.length,
      () =>
        `adding ${q(newcomer)} as the 11th node moved ${moved} of ${keys.length} keys (${pct(moved, keys.length)}); ` +
        `expected about 1/11 of them (${pct(1, 11)}) and at most 2/11 (${pct(2, 11)})`,
    );
  }
});

test('removing a node moves only the keys it owned', () => {
  const rand = streamFor('remove-moves');
  const keys = randomKeys(rand, 6_000);
  for (let round = 0; round < 2; round++) {
    const all = nodeNames(rand, 11);
    const ring = ringOf(all);
    const before = ownersOf(ring, keys, all, 'on a ring of 11 nodes');
    const victim = pick(rand, all);
    const rest = all.filter((n) => n !== victim);
    act(`remove(${q(victim)})`, () => ring.remove(victim));
    // `victim` is allowed here so that the checks below can name the problem precisely.
    const after = ownersOf(ring, keys, all, `after remove(${q(victim)}) from a ring of 11 nodes`);

    let astray = 0;
    let firstAstray = -1;
    let stale = 0;
    let firstStale = -1;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== victim && after[i] !== before[i]) {
        astray++;
        if (firstAstray === -1) firstAstray = i;
      }
      if (after[i] === victim) {
        stale++;
        if (firstStale === -1) firstStale = i;
      }
    }
    if (astray > 0) {
      fail(
        `after remove(${q(victim)}) from a ring of 11 nodes, key ${q(keys[firstAstray])} moved from ` +
          `${q(before[firstAstray])} to ${q(after[firstAstray])}; only the keys ${q(victim)} owned may move, ` +
          `yet ${astray} of ${keys.length} other keys (${pct(astray, keys.length)}) changed owner`,
        `nodes before: ${list(all)}`,
      );
    }
    if (stale > 0) {
      fail(
        `after remove(${q(victim)}), get(${q(keys[firstStale])}) still returned the removed node ${q(victim)} ` +
          `(${stale} of ${keys.length} keys still map to it); its keys must go to the nodes still on the ring`,
        `nodes still on the ring: ${list(rest)}`,
      );
    }
  }
});

test('the virtualNodes option sets how many points each node gets (100 by default)', () => {
  const rand = streamFor('virtual-nodes');
  const keys = randomKeys(rand, 5_000);
  const nodes = nodeNames(rand, 10);
  const byDefault = ownersOf(ringOf(nodes), keys, nodes, 'on a ring of 10 nodes');
  const hundred = ownersOf(ringOf(nodes, { virtualNodes: 100 }), keys, nodes, 'on a ring of 10 nodes created with { virtualNodes: 100 }');
  sameMapping(
    keys,
    byDefault,
    hundred,
    (summary) =>
      `a ring created with { virtualNodes: 100 } disagrees with a ring created with no options: ${summary}; ` +
      'the default is 100 points per node, so both must be the same ring',
    `nodes: ${list(nodes)}`,
  );
  const one = ownersOf(ringOf(nodes, { virtualNodes: 1 }), keys, nodes, 'on a ring of 10 nodes created with { virtualNodes: 1 }');
  check(
    one.some((owner, i) => owner !== byDefault[i]),
    `a ring of 10 nodes created with { virtualNodes: 1 } maps all ${keys.length} keys exactly like one with the default ` +
      '100 points per node; the virtualNodes option must set how many points each node gets',
  );
});
