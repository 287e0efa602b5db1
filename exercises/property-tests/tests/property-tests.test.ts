// The hidden suite of property-tests. Here the learner writes the tests: their properties must all
// hold for the correct cache and, for each wrong version, at least one must fail. The correct cache
// and the wrong versions are in tests/cache.ts; running the learner's properties, in tests/judge.ts.
import fc from 'fast-check';
import { beforeAll, beforeEach, expect, test } from 'vitest';
import { controlMathRandom, fail, streamFor, suiteSeed } from 'learn-ds/harness';
import { cacheFactory, WRONG_VERSIONS } from './cache.ts';
import { CPU_LIMIT_MS, NUM_RUNS, collectProperties, describeOutcome, runAll, type Named } from './judge.ts';

beforeAll(() => {
  // Whatever the learner's file runs with fast-check outside the suite's own runs (fc.sample, an
  // fc.assert of their own) is seeded by the suite's seed too.
  fc.configureGlobal({ seed: suiteSeed(), numRuns: NUM_RUNS });
});
beforeEach(() => controlMathRandom(streamFor(expect.getState().currentTestName ?? '')));

/** The learner's properties on the correct cache, failures shrunk, with every cache's options recorded. */
let correctRun: Promise<{ outcomes: Named[]; made: Array<{ capacity: number; ttlMs: number }> }> | undefined;
function runOnCorrectCache() {
  correctRun ??= (async () => {
    const made: Array<{ capacity: number; ttlMs: number }> = [];
    const properties = collectProperties(cacheFactory(undefined, ({ capacity, ttlMs }) => made.push({ capacity, ttlMs })));
    return { outcomes: await runAll(properties, { shrink: true, stopAtFirstFailure: false }), made };
  })();
  return correctRun;
}

// Which wrong versions run after the correct cache in their check, and which before: drawn from
// the seed, at least one of each, so that a file cannot pass by failing on purpose from some call on.
const orderBits = 1 + Math.floor(streamFor('order of the runs')() * (2 ** WRONG_VERSIONS.length - 2));

test('cacheProperties returns named fast-check properties', () => {
  collectProperties(cacheFactory());
});

test('every property holds for the correct cache', async () => {
  const { outcomes } = await runOnCorrectCache();
  const broken = outcomes.find((o) => o.outcome.kind !== 'held');
  if (broken) fail(...describeOutcome(broken, 'the correct cache (one that keeps the whole contract)'));
});

test('draws caches of several capacities and ttlMs from generators', async () => {
  const { made } = await runOnCorrectCache();
  const capacities = new Set(made.map((m) => m.capacity));
  const ttls = new Set(made.map((m) => m.ttlMs));
  if (capacities.size < 3 || ttls.size < 3) {
    const list = (values: Set<number>) => (values.size === 0 ? 'none' : `${[...values].sort((a, b) => a - b).slice(0, 6).join(', ')}${values.size > 6 ? ', …' : ''}`);
    fail(
      `your properties made ${made.length} caches with ${capacities.size} different ${capacities.size === 1 ? 'capacity' : 'capacities'} (${list(capacities)}) and ` +
        `${ttls.size} different ttlMs (${list(ttls)}); expected at least 3 of each: draw them from generators ` +
        '(fc.integer({ min: 1, max: 4 })) rather than writing fixed examples, so that small and larger caches, short and longer lives are all tried',
    );
  }
});

WRONG_VERSIONS.forEach(({ flaw, behaviour }, index) => {
  test(`catches a cache where ${behaviour}`, async () => {
    // Only the properties that held on the correct cache count: one that fails there proves nothing.
    const { outcomes } = await runOnCorrectCache();
    const sound = new Set(outcomes.filter((o) => o.outcome.kind === 'held').map((o) => o.name));
    if (sound.size === 0) fail('none of your properties holds for the correct cache yet (see that check), so none can catch a wrong one');
    const mine = (make: ReturnType<typeof cacheFactory>) => collectProperties(make).filter(([name]) => sound.has(name));
    // The correct cache runs again beside the wrong one, in the order drawn above.
    const onCorrect = () => runAll(mine(cacheFactory()), { shrink: false, stopAtFirstFailure: false });
    const onWrong = () => runAll(mine(cacheFactory(flaw)), { shrink: false, stopAtFirstFailure: true });
    let control: Named[];
    let wrong: Named[];
    if ((orderBits >> index) & 1) {
      control = await onCorrect();
      wrong = await onWrong();
    } else {
      wrong = await onWrong();
      control = await onCorrect();
    }
    const broken = control.find((o) => o.outcome.kind !== 'held');
    if (broken) {
      const [message, detail] = describeOutcome(broken, 'the correct cache when it ran again, beside this wrong version');
      fail(`${message}; a property must hold on the correct cache every time it runs before its failures mean anything`, detail);
    }
    if (wrong.some((o) => o.outcome.kind === 'failed')) return;
    const outOfTime = wrong.filter((o) => o.outcome.kind === 'out-of-time').map((o) => `'${o.name}'`);
    fail(
      `none of your properties caught this wrong behaviour: ${wrong.length === 1 ? 'your one property' : `all ${wrong.length}`} held for ${NUM_RUNS} runs${wrong.length === 1 ? '' : ' each'} on a cache where ${behaviour}` +
        (outOfTime.length > 0 ? ` (${outOfTime.join(', ')} used up ${CPU_LIMIT_MS / 1000} s of CPU time first)` : ''),
    );
  });
});
