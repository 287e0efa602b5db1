// checkScenario on a failure: the seed is replayed (a run that differs is called out, with where),
// the faults are shrunk while the same check fails the same way, the verdict tells the shrunk
// schedule as a numbered story, and its replay command (--faults) reproduces exactly that run.
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { startNemesis, type NodeContext, type SimNode } from '../../src/sim/index.ts';
import { FAULTS_ENV } from '../../src/sim/schedule.ts';
import { LearnerFailure, checkScenario, fail, simulate } from '../../src/verify/harness/index.ts';
import { SHRINK_ENV } from '../../src/verify/harness/simulate.ts';
import { ENV } from '../../src/verify/protocol.ts';
import { moduleCounterNode } from '../fixtures/sim/module-state-node.ts';

type Tick = { type: 'tick'; n: number };

/** Counts its ticks in memory: after a crash and restart it starts again from 1 (the bug). */
function volatileTicker(ctx: NodeContext<Tick>): SimNode<Tick> {
  let n = 0;
  const tick = () => {
    n++;
    for (const p of ctx.peers) ctx.send(p, { type: 'tick', n });
    ctx.setTimer(20, tick);
  };
  ctx.setTimer(20, tick);
  return { receive() {} };
}

const FAULTS = ['partition', 'isolate', 'one-way', 'pause', 'loss', 'crash'] as const;

/**
 * A world where the nemesis makes every kind of fault but crashes, the test crashes n1 at 2 s, and a
 * rule a crash breaks: ticks from a node only go up.
 */
function tickerScenario(seed: number): void {
  const sim = simulate({ seed, nodes: 3, factory: volatileTicker });
  const last = new Map<string, number>();
  sim.onSend((from, _to, m) => {
    const before = last.get(from) ?? 0;
    if (m.n < before) fail(`${from} sent tick ${m.n} after tick ${before}: a node's count must only go up`);
    last.set(from, m.n);
  });
  startNemesis(sim, { faults: FAULTS.filter((f) => f !== 'crash'), gapMs: [50, 150], durationMs: [100, 300], until: 3_000 });
  sim.at(2_000, () => sim.crash('n1'));
  sim.at(2_100, () => sim.restart('n1'));
  sim.runUntil(3_500);
}

function failureOf(run: () => unknown): LearnerFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof LearnerFailure) return error;
    throw error;
  }
  throw new Error('expected the scenario to fail');
}

const detailOf = (f: LearnerFailure) => stripVTControlCharacters(f.learnerDetail ?? '');

afterEach(() => {
  delete process.env[FAULTS_ENV];
  delete process.env[ENV.seed];
  delete process.env[SHRINK_ENV];
});

describe('a failing scenario is shrunk to the faults it needs', () => {
  test('of many faults (the nemesis\'s and the test\'s), one crash is left; the story says it; the replay command keeps only it and reproduces the same run', () => {
    const first = failureOf(() => checkScenario({ seeds: 5 }, tickerScenario));
    const detail = detailOf(first);
    const head = /The same check still fails with only this fault of the run's (\d+), shrunk in [\d.]+ s:\n {2}1\. n1 crashes at 2000 ms and restarts at 2100 ms\.\n/.exec(detail);
    expect(head, detail).not.toBeNull();
    expect(Number(head![1])).toBeGreaterThanOrEqual(5);
    const replay = /scenario seed (\d+) · replay it first: .* verify <id> --seed (\d+) --faults (\d+@[a-z0-9]+)$/.exec(detail);
    expect(replay, detail).not.toBeNull();
    expect(first.message).toMatch(/^n1 sent tick 1 after tick \d+/);

    // The replay: that seed first, that plan for this check (the same test, its first checkScenario).
    process.env[ENV.seed] = replay![2]!;
    process.env[FAULTS_ENV] = replay![3]!;
    const again = failureOf(() => checkScenario({ seeds: 5 }, tickerScenario));
    expect(again.message).toBe(first.message);
    // The same story, timeline and replay command; only the count of the original run is not known.
    const replayed = detailOf(again);
    expect(replayed).toMatch(/^Faults of this run \(each of them is needed for it to fail this way, shrunk in [\d.]+ s\):\n {2}1\. n1 crashes at 2000 ms and restarts at 2100 ms\.\n/);
    const after = (text: string) => text.slice(text.indexOf('restarts at 2100 ms.'));
    expect(after(replayed)).toBe(after(detail));
  });

  test('a smaller schedule that fails another way (another check of the scenario) is not kept', () => {
    // Fails at the second line once a node has crashed and another was paused; without a partition
    // the run fails at the first line instead: the shrunk run keeps a partition too.
    const scenario = (seed: number) => {
      const sim = simulate({ seed, nodes: 3, factory: volatileTicker });
      startNemesis(sim, { faults: FAULTS, gapMs: [50, 150], durationMs: [100, 300], until: 3_000 });
      sim.runUntil(3_500);
      const seen = new Set(sim.trace.map((e) => e.kind));
      if (!seen.has('partition')) fail('no partition happened');
      if (seen.has('crash') && seen.has('pause')) fail('a crash and a pause both happened');
    };
    const detail = detailOf(failureOf(() => checkScenario({ seeds: 5 }, scenario)));
    const story = detail.split('\n').filter((l) => /^ {2}\d\. /.test(l));
    expect(story, detail).toHaveLength(3);
    expect(story.join('\n')).toMatch(/crashes at/);
    expect(story.join('\n')).toMatch(/is paused/);
    expect(story.join('\n')).toMatch(/cut off|splits into|one way/);
  });

  test('a failure that needs no fault says so, and its replay keeps none', () => {
    const scenario = (seed: number) => {
      const sim = simulate({ seed, nodes: 3, factory: volatileTicker });
      startNemesis(sim, { faults: FAULTS, gapMs: [50, 150], durationMs: [100, 300], until: 3_000 });
      sim.runUntil(1_000);
      fail('always');
    };
    const detail = detailOf(failureOf(() => checkScenario({ seeds: 5 }, scenario)));
    expect(detail).toMatch(/It fails with no fault at all: the run had \d+ faults, none of which it needs/);
    expect(detail).toMatch(/--faults none@[a-z0-9]+$/);
  });

  test('with no budget, the whole schedule is told and the replay is the seed alone', () => {
    process.env[SHRINK_ENV] = '0';
    const detail = detailOf(failureOf(() => checkScenario({ seeds: 5 }, tickerScenario)));
    expect(detail).toMatch(/Faults of this run \(each of them is needed for it to fail this way, shrunk in [\d.]+ s\):\n {2}1\. /);
    expect(detail).toMatch(/--seed \d+$/);
  });
});

describe('operations and single messages shrink too, and the run is shortened', () => {
  test('of 40 droppable client operations and many nemesis faults, the 2 operations the failure needs are left, told, and replayed', () => {
    const scenario = (seed: number) => {
      const sim = simulate({ seed, nodes: 3, factory: volatileTicker });
      startNemesis(sim, { faults: FAULTS, gapMs: [50, 150], durationMs: [100, 300], until: 3_000 });
      const done: number[] = [];
      for (let k = 1; k <= 40; k++) sim.at(10 * k, () => {
        const step = sim.operation('c1', `c1 sends #${k}`);
        if (!step) return;
        done.push(k);
        sim.after(3, () => step.answered());
      });
      sim.runUntil(3_500);
      if (done.includes(13) && done.includes(29)) fail(`operations #13 and #29 both ran (${done.length} ran)`);
    };
    const first = failureOf(() => checkScenario({ seeds: 5 }, scenario));
    const detail = detailOf(first);
    expect(detail).toMatch(/It fails with no fault at all: the run had \d+ faults, none of which it needs/);
    // The operations and faults after #29 are gone: the run is shortened to it.
    expect(detail).toMatch(/^The run is shortened: no fault or client operation of it starts after 290 ms\.$/m);
    expect(detail).toContain("It needs only 2 client operations of the run's 40:\n  - c1 sends #13 at 130 ms (answered at 133 ms).\n  - c1 sends #29 at 290 ms (answered at 293 ms).");
    const replay = /--seed (\d+) --faults (o13,o29@[a-z0-9]+)$/.exec(detail);
    expect(replay, detail).not.toBeNull();
    process.env[ENV.seed] = replay![1]!;
    process.env[FAULTS_ENV] = replay![2]!;
    const again = failureOf(() => checkScenario({ seeds: 5 }, scenario));
    expect(again.message).toBe(first.message.replace('(40 ran)', '(2 ran)'));
    expect(detailOf(again)).toContain("It needs every one of the run's 2 client operations.");
  });

  test('with messageFaults, the few lost messages a failure needs are the story', () => {
    const scenario = (seed: number) => {
      const sim = simulate({ seed, nodes: 3, factory: volatileTicker, network: { loss: 0.3, duplicate: 0.2 }, messageFaults: true });
      sim.runUntil(2_000);
      const lost = sim.trace.filter((e) => e.kind === 'drop' && e.reason === 'loss').length;
      if (lost >= 3) fail(`${lost} ticks were lost`);
    };
    const detail = detailOf(failureOf(() => checkScenario({ seeds: 5 }, scenario)));
    const head = /The same check still fails with only these 3 faults of the run's (\d+), shrunk in [\d.]+ s:\n((?: {2}\d\. .*\n){3})/.exec(detail);
    expect(head, detail).not.toBeNull();
    expect(Number(head![1])).toBeGreaterThan(20);
    for (const line of head![2]!.trim().split('\n')) expect(line.trim()).toMatch(/^\d\. n\d's "tick n=\d+" to n\d, sent at \d+ ms, is lost by the network\.$/);
    expect(detail).toMatch(/--faults m\d+,m\d+,m\d+@[a-z0-9]+$/);
  });
});

describe('the determinism check', () => {
  test('a node that keeps state at module level is called out: the seed replayed differently, where, and what to look for', () => {
    const scenario = (seed: number) => {
      const sim = simulate({ seed, nodes: 3, factory: moduleCounterNode });
      sim.runUntil(200);
      const highest = Math.max(0, ...sim.trace.flatMap((e) => (e.kind === 'deliver' ? [(e.message as { n: number }).n] : [])));
      if (highest > 10) fail(`a tick numbered ${highest} was sent`);
    };
    const failure = failureOf(() => checkScenario({ seeds: 5 }, scenario));
    const detail = detailOf(failure);
    expect(detail).toMatch(/Not deterministic: seed \d+ was run twice and did not give the same run \(the replay failed too, but on another path\)\./);
    expect(detail).toMatch(/They part at event \d+ of the trace: the first run had n\d received "tick n=\d+" from (n\d) at [\d.]+ ms; the replay had n\d received "tick n=\d+" from n\d at [\d.]+ ms\. Look at what n\d's code did just before\./);
    expect(detail).toMatch(/no state at module level/);
    expect(detail).not.toMatch(/--faults/);
  });
});
