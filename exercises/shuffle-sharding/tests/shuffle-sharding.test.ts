import { test } from 'vitest';
import { check, controlMathRandom, describeThrown, fail, streamFor } from 'learn-ds/harness';
import { shardFor } from 'learn-ds/subject/shuffle-sharding';

type Rand = () => number;

// ---------------------------------------------------------------- inputs drawn from the seed

const WORKER_PREFIXES = ['api', 'worker', 'cell', 'node', 'shard', 'web'];
const CUSTOMER_PREFIXES = ['customer-', 'tenant-', 'acct_', 'org:', 'user-', 'shop-'];

function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/**
 * `n` distinct worker names sharing one prefix, as in a real fleet: numbered ("api-01" ... "api-16")
 * or with a hex suffix ("cell-7f3a").
 */
function workerNames(rand: Rand, n: number, style: 'numbered' | 'hex'): string[] {
  const prefix = pick(rand, WORKER_PREFIXES);
  if (style === 'numbered') return Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
  const names = new Set<string>();
  while (names.size < n) {
    let suffix = '';
    for (let i = 0; i < 4; i++) suffix += Math.floor(rand() * 16).toString(16);
    names.add(`${prefix}-${suffix}`);
  }
  return [...names];
}

/**
 * The shapes of customer names: random numbers ("tenant-482913"), sequential ("tenant-1000",
 * "tenant-1001", …), mixed case ("Org-xQbR" and "org-XQBR", distinct customers), and non-ASCII
 * names whose characters share their low byte ("клиент-07ЖĖؖ世"), so that a hash that sees
 * only bytes of Latin-1 (Buffer.from(name, 'latin1')) or the low byte of each character cannot
 * tell them apart.
 */
type NameShape = 'random' | 'sequential' | 'mixed-case' | 'non-ASCII';
const LOW_BYTE_TWINS = ['\u0416', '\u0116', '\u0616', '\u4e16'];

function customerName(rand: Rand, prefix: string, shape: NameShape, i: number): string {
  switch (shape) {
    case 'random':
      return `${prefix}${Math.floor(rand() * 1_000_000)}`;
    case 'sequential':
      return `${prefix}${1000 + i}`;
    case 'mixed-case': {
      let word = '';
      for (let c = 0; c < 5; c++) {
        const letter = String.fromCharCode(97 + Math.floor(rand() * 26));
        word += rand() < 0.5 ? letter : letter.toUpperCase();
      }
      return `${prefix}${word}`;
    }
    case 'non-ASCII': {
      let word = String(Math.floor(rand() * 100)).padStart(2, '0');
      for (let c = 0; c < 5; c++) word += pick(rand, LOW_BYTE_TWINS);
      return `клиент-${word}`;
    }
  }
}

/** `count` distinct customer names of one shape sharing one prefix, such as "tenant-482913". */
function customerNames(rand: Rand, count: number, shape: NameShape = 'random'): string[] {
  const prefix = pick(rand, CUSTOMER_PREFIXES);
  const names = new Set<string>();
  for (let i = 0; names.size < count; i++) {
    const name = customerName(rand, prefix, shape, i);
    names.add(name);
    // Mixed case: the same letters in another case are another customer.
    if (shape === 'mixed-case' && names.size < count) names.add(name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase());
  }
  return [...names];
}

function shuffled<T>(rand: Rand, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A different order of `items` (never the same one). */
function otherOrder<T>(rand: Rand, items: readonly T[]): T[] {
  const out = shuffled(rand, items);
  return out.every((item, i) => item === items[i]) ? [...items].reverse() : out;
}

// ---------------------------------------------------------------- arithmetic

/** C(n, k), exact for the small numbers used here. */
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** Bits set in a 32-bit integer. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// ---------------------------------------------------------------- describing what happened

const q = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));
const list = (items: readonly unknown[]): string => `[${items.map(q).join(', ')}]`;
const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;
const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

function call(customer: string, workers: readonly string[], k: number): unknown {
  try {
    return shardFor(customer, workers, k);
  } catch (error) {
    fail(`shardFor(${q(customer)}, <${workers.length} workers>, ${k}) threw ${describeThrown(error)}; expected a shard of ${k} workers`, `workers: ${list(workers)}`);
  }
}

/**
 * Calls shardFor and fails unless it returns exactly k distinct names taken from `workers`.
 * Every statistical check goes through here, so a shard of the wrong size never gets that far.
 */
function shardOf(customer: string, workers: readonly string[], k: number): string[] {
  const shard = call(customer, workers, k);
  const what = `shardFor(${q(customer)}, <${workers.length} workers>, ${k})`;
  const detail = `workers: ${list(workers)}`;
  if (!Array.isArray(shard)) fail(`${what} returned ${q(shard)}; expected an array of ${k} worker names`, detail);
  if (shard.length !== k) {
    const off = shard.length === k + 1 ? ', one too many' : shard.length === k - 1 ? ', one too few' : '';
    fail(`${what} returned ${shard.length} worker${shard.length === 1 ? '' : 's'}${off}: ${list(shard)}; expected exactly k = ${k}`, detail);
  }
  const stranger = shard.findIndex((w) => typeof w !== 'string' || !workers.includes(w));
  if (stranger !== -1) {
    fail(`${what} returned ${list(shard)}: ${q(shard[stranger])} is not one of the workers; a shard is made of workers from the list`, detail);
  }
  const repeated = shard.find((w, i) => shard.indexOf(w) !== i);
  if (repeated !== undefined) {
    fail(
      `${what} returned ${list(shard)}: ${q(repeated)} appears more than once; a shard is k distinct workers ` +
        '(pick without replacement: remove a worker once it is chosen)',
      detail,
    );
  }
  return shard as string[];
}

// ---------------------------------------------------------------- the two fleets the statistics are judged on

interface Config {
  n: number;
  k: number;
  style: 'numbered' | 'hex';
  names: NameShape;
}

// Every shape of customer name in every run: a hash that only looks right on one shape must fail.
const CONFIGS: readonly Config[] = [
  { n: 16, k: 4, style: 'numbered', names: 'random' },
  { n: 10, k: 3, style: 'hex', names: 'random' },
  { n: 16, k: 4, style: 'hex', names: 'sequential' },
  { n: 16, k: 4, style: 'numbered', names: 'mixed-case' },
  { n: 16, k: 4, style: 'hex', names: 'non-ASCII' },
];

/** Customers per fleet: enough for tight statistics, few enough to stay fast with a SHA-256 per worker. */
const CUSTOMERS = 3_000;

interface Fleet extends Config {
  workers: string[];
  customers: string[];
  /** Each customer's shard as a bit mask over the workers in sorted order. */
  masks: number[];
  /** How many customers got each shard (by mask). */
  counts: Map<number, number>;
  /** One customer holding each shard, for messages. */
  example: Map<number, string>;
  label: string;
}

const fleets = new Map<Config, Fleet>();

/** The shards of CUSTOMERS seeded customers on one fleet, computed once and shared by the statistical checks. */
function fleet(config: Config): Fleet {
  const known = fleets.get(config);
  if (known) return known;
  const { n, k, style, names } = config;
  const rand = streamFor(`fleet-${n}-${k}-${names}`);
  const workers = workerNames(rand, n, style);
  const customers = customerNames(rand, CUSTOMERS, names);
  const index = new Map([...workers].sort().map((w, i) => [w, i]));
  const masks: number[] = [];
  const counts = new Map<number, number>();
  const example = new Map<number, string>();
  for (const customer of customers) {
    let mask = 0;
    for (const w of shardOf(customer, workers, k)) mask |= 1 << index.get(w)!;
    masks.push(mask);
    counts.set(mask, (counts.get(mask) ?? 0) + 1);
    if (!example.has(mask)) example.set(mask, customer);
  }
  const made: Fleet = { ...config, workers, customers, masks, counts, example, label: `k = ${k} of n = ${n} workers and ${names} customer names such as ${q(customers[0])}` };
  fleets.set(config, made);
  return made;
}

/** The workers of a mask, by name. */
function membersOf(f: Fleet, mask: number): string[] {
  return [...f.workers].sort().filter((_, i) => (mask >>> i) & 1);
}

/** The most common shards, for a message's detail. */
function commonShards(f: Fleet, top = 5): string {
  const sorted = [...f.counts].sort((a, b) => b[1] - a[1]).slice(0, top);
  const shown = sorted.map(([mask, c]) => `${list(membersOf(f, mask))} for ${c} customer${c === 1 ? '' : 's'} (e.g. ${q(f.example.get(mask))})`);
  return `most common shards: ${shown.join('; ')}`;
}

const ONLY_FIRST_PICK =
  'It looks like only the first pick depends on the customer: k consecutive workers (or workers at a fixed stride) ' +
  'after a hashed start can only ever make n different shards, one per starting worker, out of the C(n, k) possible.';

const WEAK_HASH =
  'Does your hash give similar names (say "tenant-1041" and "tenant-1042") similar or equal values? ' +
  'A sum of character codes does, and so does plain FNV-1a on names that differ only in their last characters; ' +
  'a hash such as SHA-256 or MD5 from node:crypto spreads them apart.';

// ---------------------------------------------------------------- shape and validation

test('returns k distinct workers, all taken from the list (k = 1 and k = n too)', () => {
  const rand = streamFor('shape');
  for (const { n, k, style } of CONFIGS) {
    const workers = workerNames(rand, n, style);
    const customers = customerNames(rand, 150);
    for (const size of [k, 1, n, n - 1, 2]) {
      for (const customer of customers) shardOf(customer, workers, size);
    }
  }
  const two = workerNames(rand, 2, 'hex');
  for (const customer of customerNames(rand, 50)) shardOf(customer, two, 1);
});

test('throws a RangeError when k is not an integer between 1 and n, or when worker names repeat', () => {
  const rand = streamFor('range-errors');
  const workers = workerNames(rand, 10, 'numbered');
  const customer = customerNames(rand, 1)[0]!;
  const expectRangeError = (ws: readonly string[], k: number, why: string): void => {
    const what = `shardFor(${q(customer)}, ${list(ws)}, ${k})`;
    let result: unknown;
    try {
      result = shardFor(customer, ws, k);
    } catch (error) {
      if (error instanceof RangeError || (error instanceof Error && error.name === 'RangeError')) return;
      fail(`${what} threw ${describeThrown(error)}; expected a RangeError (${why})`);
    }
    fail(`${what} returned ${q(result)} without throwing; expected a RangeError (${why})`);
  };
  expectRangeError(workers, 0, 'k must be at least 1');
  expectRangeError(workers, -2, 'k must be at least 1');
  expectRangeError(workers, 11, 'k cannot be more than the 10 workers');
  expectRangeError(workers, 2.5, 'k must be an integer');
  expectRangeError(workers, Number.NaN, 'k must be an integer');
  expectRangeError(workers, Number.POSITIVE_INFINITY, 'k must be an integer');
  expectRangeError([], 1, 'there are no workers, so k = 1 is more than n = 0');
  const twice = [...workers.slice(0, 5), workers[2]!, ...workers.slice(5)];
  expectRangeError(twice, 3, `${q(workers[2])} appears twice in the list: worker names must be distinct`);
});

// ---------------------------------------------------------------- determinism

test('is deterministic: the same customer always gets the same shard (no Math.random(), no state)', () => {
  controlMathRandom(streamFor('math-random'));
  const rand = streamFor('deterministic');
  for (const { n, k, style } of CONFIGS) {
    const workers = workerNames(rand, n, style);
    const customers = customerNames(rand, 300);
    const first = customers.map((c) => shardOf(c, workers, k));
    // Other calls in between, then the same customers again, in another order, with a copy of the list.
    for (const c of customerNames(rand, 100)) shardOf(c, workers, k);
    const again = [...workers];
    for (const i of shuffled(rand, customers.map((_, i) => i))) {
      const customer = customers[i]!;
      const shard = shardOf(customer, again, k);
      check(
        sameSet(shard, first[i]!),
        () =>
          `shardFor(${q(customer)}, <the same ${n} workers>, ${k}) returned ${list(first[i]!)} the first time and ${list(shard)} ` +
          'later; every front-end must compute the same shard for a customer, so it may depend only on the customer and ' +
          'the workers: no Math.random(), no counter or cache that changes the answer between calls',
        `workers: ${list(workers)}`,
      );
    }
  }
});

test('depends on the set of workers, not on their order in the array (and leaves the array as it was)', () => {
  const rand = streamFor('order');
  for (const { n, k, style } of CONFIGS) {
    // The first order is shuffled, so that sorting the caller's array in place shows.
    const first = otherOrder(rand, workerNames(rand, n, style));
    const orders = [otherOrder(rand, first), [...first].reverse(), [...first].sort()];
    for (const customer of customerNames(rand, 200)) {
      const given = [...first];
      const base = shardOf(customer, given, k);
      check(
        given.every((w, i) => w === first[i]),
        () =>
          `shardFor(${q(customer)}, workers, ${k}) changed the workers array it was given: it was ${list(first)} ` +
          `and is now ${list(given)}; the array belongs to the caller (it is readonly): sort or shuffle a copy`,
      );
      for (const order of orders) {
        const shard = shardOf(customer, [...order], k);
        check(
          sameSet(shard, base),
          () =>
            `shardFor(${q(customer)}, workers, ${k}) returned ${list(base)}, but with the same ${n} workers in another order ` +
            `it returned ${list(shard)}; the shard must depend on the set of workers, not on their order in the array ` +
            '(front-ends may list the workers in different orders): sort a copy of the list first, or score each worker by its name',
          `first order: ${list(first)}\nsecond order: ${list(order)}`,
        );
      }
    }
  }
});

// ---------------------------------------------------------------- spread

// Each of the seeded customers includes a given worker with probability p = k/n when shards are
// random k-subsets, so a worker's count is Binomial(N, p): mean Np, standard deviation
// sqrt(Np(1 - p)) (about 24 for N = 3000, p = 1/4). Six standard deviations either way leaves a
// correct implementation a chance below 1e-8 per worker of falling outside.
test.for(CONFIGS)('each worker serves about k/n of the customers (k = $k of n = $n workers, $names customer names)', (config) => {
  controlMathRandom(streamFor('math-random'));
  const f = fleet(config);
  const { n, k } = f;
  const N = f.customers.length;
  const p = k / n;
  const mean = N * p;
  const slack = 6 * Math.sqrt(N * p * (1 - p));
  const low = Math.ceil(mean - slack);
  const high = Math.floor(mean + slack);
  const sorted = [...f.workers].sort();
  const served = new Map(sorted.map((w) => [w, 0]));
  for (const mask of f.masks) sorted.forEach((w, i) => { if ((mask >>> i) & 1) served.set(w, served.get(w)! + 1); });
  const shares = [...served].sort((a, b) => b[1] - a[1]);
  const worst = shares.reduce((a, b) => (Math.abs(b[1] - mean) > Math.abs(a[1] - mean) ? b : a));
  check(
    worst[1] >= low && worst[1] <= high,
    () =>
      `with ${f.label}, ${q(worst[0])} serves ${worst[1]} of ${N} customers (${pct(worst[1] / N)}); each worker should serve ` +
      `about k/n = ${pct(p)} of them, between ${low} and ${high} (six standard deviations of a random pick around ${mean}). ` +
      `Uneven shares mean the shards are not like random k-subsets. ${WEAK_HASH}`,
    `customers served by each worker: ${shares.map(([w, c]) => `${w} ${c}`).join(', ')}\n${commonShards(f)}`,
  );
});

// With random k-subsets, the number of different shards among N customers is
// C(1 - (1 - 1/C)^N) on average, C = C(n, k): about 1470 of 1820 for n = 16, k = 4, N = 3000, with a
// standard deviation of about 13, and all 120 for n = 10, k = 3. Requiring 90% of that average leaves
// more than 10 standard deviations of margin (a window of k consecutive workers makes only n = 16).
test.for(CONFIGS)('customers get many different shards, as random k-subsets would, not just n (k = $k of n = $n workers, $names customer names)', (config) => {
  controlMathRandom(streamFor('math-random'));
  const f = fleet(config);
  const { n, k } = f;
  const N = f.customers.length;
  const C = choose(n, k);
  const expected = C * (1 - (1 - 1 / C) ** N);
  const needed = Math.floor(0.9 * expected);
  const distinct = f.counts.size;
  const why = distinct <= n ? ONLY_FIRST_PICK : `Many customers get the same few shards. ${WEAK_HASH}`;
  check(
    distinct >= needed,
    () =>
      `with ${f.label}, ${N} customers got only ${distinct} different shards; random ${k}-subsets of ${n} workers give about ` +
      `${Math.round(expected)} (there are C(${n}, ${k}) = ${C} possible shards), and at least ${needed} are expected. ${why}`,
    commonShards(f),
  );
});

/** Over all ordered pairs of different customers: how many pairs share exactly j workers, j = 0..k. */
function overlaps(f: Fleet): { pairs: number; byOverlap: number[] } {
  const byOverlap = new Array<number>(f.k + 1).fill(0);
  const entries = [...f.counts];
  for (const [a, ma] of entries) {
    for (const [b, mb] of entries) {
      const shared = popcount(a & b);
      byOverlap[shared]! += a === b ? ma * (ma - 1) : ma * mb;
    }
  }
  const N = f.customers.length;
  return { pairs: N * (N - 1), byOverlap };
}

// When customer A floods its k workers, customer B loses all of its workers only if B's shard is
// A's: for random k-subsets that happens to a fraction 1/C(n, k) of the other customers. Over the
// N(N-1)/2 pairs of seeded customers, the number of pairs with the same shard has mean
// pairs/C and (the pairs being pairwise independent) standard deviation sqrt(pairs/C): 2% of the
// mean for n = 16, k = 4 and 0.5% for n = 10, k = 3. The bounds below (0.8x to 1.25x) are at least
// 10 standard deviations away.
test.for(CONFIGS)("a noisy customer's whole shard is shared by only about 1 in C(n, k) of the other customers (k = $k of n = $n workers, $names customer names)", (config) => {
  controlMathRandom(streamFor('math-random'));
  const f = fleet(config);
  const { n, k } = f;
  const C = choose(n, k);
  const { pairs, byOverlap } = overlaps(f);
  const same = byOverlap[k]! / pairs;
  const N = f.customers.length;
  const why =
    f.counts.size <= n
      ? `Only ${f.counts.size} different shards were used. ${ONLY_FIRST_PICK}`
      : `Too many customers share each shard. ${WEAK_HASH}`;
  check(
    same >= 0.8 / C && same <= 1.25 / C,
    () =>
      `with ${f.label}, a customer's exact shard was shared on average by ${pct(same, 3)} of the other customers ` +
      `(${Math.round(same * (N - 1))} of ${N - 1}); with shards like random ${k}-subsets that is about 1 in C(${n}, ${k}) = ${C} ` +
      `(${pct(1 / C, 3)}), and between ${pct(0.8 / C, 3)} and ${pct(1.25 / C, 3)} is expected. When a noisy customer takes ` +
      `out its ${k} workers, every customer with the same shard loses all of its workers. ${same > 1.25 / C ? why : ''}`.trim(),
    commonShards(f),
  );
});

// The overlap of two random k-subsets of n workers is hypergeometric: mean k²/n (1 for n = 16,
// k = 4; 0.9 for n = 10, k = 3), and it reaches k - 1 or more with probability 49/1820 (2.7%) and
// 22/120 (18.3%). Over all pairs of the seeded customers both estimates have a standard deviation
// below 0.3% of those values for a correct implementation (the pairs are pairwise uncorrelated);
// the bounds below allow 10% on the mean and 25% on the tail.
test.for(CONFIGS)("a noisy customer's shard overlaps another's by about k²/n workers on average, rarely by k - 1 or more (k = $k of n = $n workers, $names customer names)", (config) => {
  controlMathRandom(streamFor('math-random'));
  const f = fleet(config);
  const { n, k } = f;
  const C = choose(n, k);
  const { pairs, byOverlap } = overlaps(f);
  const mean = byOverlap.reduce((sum, count, j) => sum + j * count, 0) / pairs;
  const expectedMean = (k * k) / n;
  const distribution = `share of customer pairs with 0..${k} workers in common: ${byOverlap.map((c, j) => `${j}: ${pct(c / pairs, 2)}`).join(', ')}`;
  check(
    Math.abs(mean - expectedMean) <= 0.1 * expectedMean,
    () =>
      `with ${f.label}, when one customer's workers all go down, another customer loses on average ${mean.toFixed(3)} of its ` +
      `${k} workers; for shards like random ${k}-subsets that is k²/n = ${expectedMean} (within 10% is expected). ` +
      `Uneven shares of the workers push it up. ${WEAK_HASH}`,
    distribution,
  );
  // P(overlap >= k - 1) for two random k-subsets: [k(n - k) + 1] / C(n, k).
  const tailExpected = (k * (n - k) + 1) / C;
  const tail = (byOverlap[k]! + byOverlap[k - 1]!) / pairs;
  check(
    tail >= 0.75 * tailExpected && tail <= 1.25 * tailExpected,
    () =>
      `with ${f.label}, ${pct(tail, 2)} of the pairs of customers share ${k - 1} or more workers, so a noisy customer leaves them ` +
      `at most one healthy worker; for shards like random ${k}-subsets that is ${k * (n - k) + 1}/${C} = ${pct(tailExpected, 2)} ` +
      `(between ${pct(0.75 * tailExpected, 2)} and ${pct(1.25 * tailExpected, 2)} is expected). ` +
      (f.counts.size <= n ? `Only ${f.counts.size} different shards were used. ${ONLY_FIRST_PICK}` : WEAK_HASH),
    distribution,
  );
});
