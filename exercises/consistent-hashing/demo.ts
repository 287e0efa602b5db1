// `learn-ds run consistent-hashing`: how evenly your ring spreads keys over nodes, with one point per
// node and with many, and how many keys move when a node joins or leaves, against the ideal 1/N.
import { bar, costLine, demo, labelled } from 'learn-ds/harness';
import { HashRing } from 'learn-ds/subject/consistent-hashing';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
const NODES = Array.from({ length: 10 }, (_, i) => `cache-${i}`);

type Ring = InstanceType<typeof HashRing>;

function ringOf(nodes: readonly string[], virtualNodes?: number): Ring {
  const ring = virtualNodes === undefined ? new HashRing() : new HashRing({ virtualNodes });
  for (const node of nodes) ring.add(node);
  return ring;
}

/** Each key's node, in KEYS order ('none' when get returned undefined). */
const owners = (ring: Ring) => KEYS.map((key) => ring.get(key) ?? 'none');

/** Keys per node, drawn as bars against the mean, with the spread in one line. */
function shares(title: string, ring: Ring): string[] {
  const counts = new Map<string, number>();
  for (const owner of owners(ring)) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  const mean = KEYS.length / NODES.length;
  const max = Math.max(...counts.values());
  const rows = [...NODES, ...[...counts.keys()].filter((n) => !NODES.includes(n))].map(
    (node) => [node, `${String(counts.get(node) ?? 0).padStart(5)} ${bar(counts.get(node) ?? 0, Math.max(max, mean * 2), 40)}`] as const,
  );
  return [
    title,
    labelled(rows),
    `  largest share ${max} keys: ${(max / mean).toFixed(2)} times the mean (${mean}); the checks allow 1.5 with 100 points per node.`,
  ];
}

/** How many keys changed node between two mappings, and where they went. */
function moves(before: readonly string[], after: readonly string[]): { moved: number; to: Map<string, number>; from: Map<string, number> } {
  const to = new Map<string, number>();
  const from = new Map<string, number>();
  let moved = 0;
  before.forEach((owner, i) => {
    if (owner === after[i]) return;
    moved++;
    to.set(after[i]!, (to.get(after[i]!) ?? 0) + 1);
    from.set(owner, (from.get(owner) ?? 0) + 1);
  });
  return { moved, to, from };
}

const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`).join(', ') || 'none';

demo('10,000 keys on 10 nodes: one point per node, then 100 (the default)', () => [
  ...shares('new HashRing({ virtualNodes: 1 }) with cache-0 … cache-9; keys per node:', ringOf(NODES, 1)),
  '',
  ...shares('new HashRing() (100 points per node):', ringOf(NODES)),
  '',
  'With one point per node, a node owns the arc before its point, and arcs of random points vary a lot;',
  "with 100 points per node each node's share is a sum of 100 small arcs, and sums even out.",
].join('\n'));

demo('a node joins, then one leaves: how many keys move, against the ideal', () => {
  const ring = ringOf(NODES);
  const start = owners(ring);
  ring.add('cache-10');
  const joined = owners(ring);
  const join = moves(start, joined);
  ring.remove('cache-3');
  const left = owners(ring);
  const leave = moves(joined, left);
  const owned3 = joined.filter((o) => o === 'cache-3').length;
  // What the naive rule would do on the same join: hash(key) % N, with N going from 10 to 11.
  const modulo = KEYS.filter((key) => {
    let h = 0;
    for (const ch of key) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    return h % 10 !== h % 11;
  }).length;
  return [
    '10,000 keys on cache-0 … cache-9 (100 points each); then add(\'cache-10\'); then remove(\'cache-3\').',
    '',
    'add(\'cache-10\'):',
    `  ${costLine({ what: 'keys moved', measured: join.moved, ideal: Math.round(KEYS.length / 11), why: '1/11 of the keys: the new node\'s fair share' })}`,
    `  they moved to: ${list(join.to)}`,
    `  (hash(key) % N, going from 10 to 11 nodes, would have moved ${modulo} keys.)`,
    '',
    'remove(\'cache-3\'):',
    `  ${costLine({ what: 'keys moved', measured: leave.moved, ideal: owned3, why: 'the keys cache-3 owned, no others' })}`,
    `  they came from: ${list(leave.from)}`,
    `  they went to:   ${list(leave.to)}`,
    '',
    'On a consistent-hashing ring, a join takes keys only for the new node and a leave hands over only the',
    "leaving node's keys, spread over many nodes because its 100 points have 100 different successors.",
  ].join('\n');
});
