// `learn-ds run property-tests`: which of the learner's properties catch which wrong cache, and how soon.
import fc from 'fast-check';
import { demo, suiteSeed } from 'learn-ds/harness';
import { cacheFactory, WRONG_VERSIONS, type Flaw } from './tests/cache.ts';
import { NUM_RUNS, collectProperties, runAll } from './tests/judge.ts';

demo('your properties against the correct cache and every wrong one', async () => {
  fc.configureGlobal({ seed: suiteSeed(), numRuns: NUM_RUNS });
  const names = collectProperties(cacheFactory()).map(([name]) => name);
  // Every property on every cache, none stopped early: the table shows each one's reach.
  const row = async (flaw: Flaw | undefined) => {
    const outcomes = await runAll(collectProperties(cacheFactory(flaw)), { shrink: false, stopAtFirstFailure: false });
    return outcomes.map(({ outcome }) => (outcome.kind === 'failed' ? `✗${outcome.runs}` : outcome.kind === 'held' ? '·' : outcome.kind === 'out-of-time' ? 'time' : '?'));
  };
  const rows: Array<[string, string[]]> = [['correct cache', await row(undefined)]];
  for (const { flaw, short } of WRONG_VERSIONS) rows.push([short, await row(flaw)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const cell = (text: string) => text.padStart(5);
  const header = `${''.padEnd(width)}  ${names.map((_, i) => cell(`P${i + 1}`)).join('')}`;
  const lines = rows.map(([label, cells]) => `${label.padEnd(width)}  ${cells.map(cell).join('')}`);
  const caught = rows.slice(1).filter(([, cells]) => cells.some((c) => c.startsWith('✗'))).length;
  const sound = rows[0]![1].every((c) => c === '·');
  return [
    `Each of your properties, run ${NUM_RUNS} times (seed ${suiteSeed()}) on the correct cache and on each wrong one.`,
    '✗n: the property failed at its n-th run (caught); ·: it held all the way.',
    '',
    header,
    ...lines,
    '',
    ...names.map((name, i) => `P${i + 1}  ${name}`),
    '',
    `${caught} of ${WRONG_VERSIONS.length} wrong caches caught; ${sound ? 'every property holds on the correct cache' : 'some property fails on the correct cache: it proves nothing until it holds there'}.`,
    'A model-based property catches most wrong caches, but only after a few runs; a pointed property catches its one case at once.',
  ].join('\n');
});
