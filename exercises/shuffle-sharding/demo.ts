// `learn-ds run shuffle-sharding`: your shards for a few tenants, then the blast radius of one
// poisoned tenant, measured over every tenant: shuffle sharding against plain (fixed) sharding.
import { demo, labelled } from 'learn-ds/harness';
import { shardFor } from 'learn-ds/subject/shuffle-sharding';

const WORKERS = Array.from({ length: 16 }, (_, i) => `w${i + 1}`);
const K = 4;
const TENANTS = Array.from({ length: 200 }, (_, i) => `tenant-${i + 1}`);

/** C(n, k): how many different shards there are. */
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return Math.round(c);
}

/**
 * For each tenant poisoned in turn (its workers crash): how many other tenants lose every worker,
 * and how many lose some but keep one.
 */
function blast(shards: ReadonlyArray<readonly string[]>): { all: number[]; some: number[] } {
  const all: number[] = [];
  const some: number[] = [];
  shards.forEach((poisoned, p) => {
    const down = new Set(poisoned);
    let lostAll = 0;
    let lostSome = 0;
    shards.forEach((shard, t) => {
      if (t === p) return;
      const lost = shard.filter((w) => down.has(w)).length;
      if (lost === shard.length) lostAll++;
      else if (lost > 0) lostSome++;
    });
    all.push(lostAll);
    some.push(lostSome);
  });
  return { all, some };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fixed = (n: number) => n.toFixed(1);

demo('16 workers, shards of 4, 200 tenants: who is hurt when one tenant is poisoned', () => {
  const shuffled = TENANTS.map((tenant) => [...shardFor(tenant, WORKERS, K)]);
  // Plain sharding: the fleet cut into 4 fixed groups of 2, tenants dealt round-robin.
  const plain = TENANTS.map((_, i) => WORKERS.slice((i % (WORKERS.length / K)) * K, (i % (WORKERS.length / K)) * K + K));
  const grid = TENANTS.slice(0, 12).map((tenant, i) => {
    const mine = new Set(shuffled[i]);
    return [tenant, WORKERS.map((w) => (mine.has(w) ? ' ●  ' : ' ·  ')).join('').trimEnd()] as const;
  });
  const s = blast(shuffled);
  const p = blast(plain);
  const shards = choose(WORKERS.length, K);
  const worst = s.all.indexOf(Math.max(...s.all));
  const twins = TENANTS.filter((_, t) => t !== worst && shuffled[t]!.every((w) => shuffled[worst]!.includes(w)));
  return [
    `shardFor(tenant, ['w1', …, 'w16'], ${K}) for the first 12 tenants:`,
    '',
    labelled([['', WORKERS.map((w) => w.padEnd(4)).join('').trimEnd()], ...grid]),
    '',
    `Each of the 200 tenants poisoned in turn (its ${K} workers crash); the other 199 tenants:`,
    labelled([
      ['', 'lose every worker        lose some, keep some'],
      ['shuffle sharding (yours)', `${fixed(mean(s.all)).padStart(5)} on average, at most ${String(Math.max(...s.all)).padEnd(4)}${fixed(mean(s.some)).padStart(7)} on average`],
      ['plain sharding (4 groups of 4)', `${fixed(mean(p.all)).padStart(5)} on average, at most ${String(Math.max(...p.all)).padEnd(4)}${fixed(mean(p.some)).padStart(7)} on average`],
      ['random shards, expected', `${fixed(199 / shards).padStart(5)} (199 / C(16, 4) = 199 / ${shards})`],
    ]),
    '',
    twins.length === 0
      ? 'No two of your 200 tenants share the very same shard, so no poisoned tenant takes down all of another\'s workers.'
      : `The worst poisoned tenant, ${TENANTS[worst]} on ${shuffled[worst]!.join(', ')}, takes all the workers of ${twins.length === 1 ? 'one other tenant' : `${twins.length} other tenants`} ` +
        `(${twins.slice(0, 4).join(', ')}${twins.length > 4 ? ', …' : ''}):\nthe very same shard.`,
    'Plain sharding puts a quarter of the tenants on each group, and a poison takes its whole group down;',
    `shuffle sharding leaves ${shards} different shards, so almost every tenant keeps a healthy worker (a client`,
    'that retries on another worker of its shard is still served).',
  ].join('\n');
});
