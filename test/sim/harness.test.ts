// The harness's liveness, vacuity and figures helpers, as hidden suites use them, and how verdicts show figures.
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { Simulation, type NodeContext, type SimNode } from '../../src/sim/index.ts';
import {
  LearnerFailure, ProgressFailure, SCENARIOS_ENV, SuiteBug, checkScenario, expectProgress, fail, figure, simulate, sometimes, withinLimit,
} from '../../src/verify/harness/index.ts';
import { formatFigure, formatFigureValue } from '../../src/report/figures.ts';
import { renderVerdict, verdictJson } from '../../src/report/verdict.ts';
import { judge } from '../../src/verify/verdict.ts';
import type { RawTest } from '../../src/verify/protocol.ts';

type Msg = { type: string; n: number };

/** Counts up by passing a token around the ring every 10 ms; `count` is what it has seen. */
function ring(ctx: NodeContext<Msg>): SimNode<Msg> & { count: number } {
  const node = {
    count: 0,
    receive(_from: string, m: Msg) {
      node.count = m.n;
      ctx.setTimer(10, () => ctx.send(ctx.peers[0]!, { type: 'token', n: m.n + 1 }));
    },
  };
  if (ctx.id === 'n1') ctx.setTimer(1, () => ctx.send(ctx.peers[0]!, { type: 'token', n: 1 }));
  return node;
}

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

afterEach(() => {
  delete process.env[SCENARIOS_ENV];
  delete process.env.LEARN_DS_SHRINK_MS;
});

describe('expectProgress (liveness)', () => {
  test('returns when the progress happened; fails naming the missing progress and when the faults ended', () => {
    const sim = new Simulation<Msg, ReturnType<typeof ring>>({ seed: 1, nodes: 3, factory: ring, network: { latency: () => 5 } });
    sim.partition(['n1'], ['n2', 'n3']);
    sim.runFor(500);
    sim.heal();
    // The token was lost to the partition: nothing moves any more.
    const healedAt = sim.now;
    const error = thrown(() => expectProgress(sim, { within: 300, what: 'the token to pass', until: () => sim.node('n2')!.count > 1 }));
    expect(error).toBeInstanceOf(ProgressFailure);
    expect((error as ProgressFailure).message).toBe(
      'no progress: expected the token to pass within 300 ms after the faults ended at 500.0 ms, but by 800.0 ms it had not happened',
    );
    expect((error as ProgressFailure).since).toBe(healedAt);
    expect((error as ProgressFailure).learnerDetail).toContain('partition healed');

    const live = new Simulation<Msg, ReturnType<typeof ring>>({ seed: 1, nodes: 3, factory: ring, network: { latency: () => 5 } });
    live.runFor(100);
    const t = expectProgress(live, { within: 300, what: 'the token to pass', until: () => live.node('n1')!.count >= 10 });
    expect(live.node('n1')!.count).toBe(10);
    expect(t).toBe(live.now);
  });

  test('the bound counts from the end of the faults, not from the call', () => {
    const sim = new Simulation<Msg, ReturnType<typeof ring>>({ seed: 1, nodes: 3, factory: ring, network: { latency: () => 5 } });
    sim.runFor(1_000);
    const error = thrown(() => expectProgress(sim, { within: 300, faultsEndedAt: 900, what: 'n1 to count to 1000', until: () => sim.node('n1')!.count >= 1_000 }));
    expect((error as Error).message).toContain('after the faults ended at 900.0 ms, but by 1200.0 ms');
  });

  test('inside checkScenario, the failure shows the timeline since the faults ended', () => {
    // Not shrunk (it would fail without the crash too), so that the run shown is the one with it.
    process.env.LEARN_DS_SHRINK_MS = '0';
    const error = thrown(() => checkScenario({ seeds: 3 }, (seed) => {
      const sim = simulate<Msg, ReturnType<typeof ring>>({ seed, nodes: 3, factory: ring, network: { latency: () => 5 } });
      sim.runFor(200);
      sim.crash('n2');
      sim.runFor(100);
      sim.restart('n2');
      expectProgress(sim, { within: 200, what: 'the token to come back', until: () => sim.node('n2')!.count > 100 });
    }));
    expect(error).toBeInstanceOf(LearnerFailure);
    const failure = error as LearnerFailure;
    expect(failure.message).toMatch(/^no progress: expected the token to come back within 200 ms after the faults ended at 300\.0 ms.*\(scenario seed 1\)$/);
    const detail = failure.learnerDetail!;
    expect(detail).toContain('n2 restarted');
    expect(detail).not.toContain('n2 crashed'); // before the faults ended: not shown
    expect(detail.match(/n2 restarted/g)).toHaveLength(1); // one timeline, not two
  });
});

describe('sometimes (vacuity)', () => {
  test('counts the seeds that reached each label, attaches them to the check, and returns them', ({ task }) => {
    const counts = checkScenario({ seeds: 10, sometimes: ['an even seed'] }, (seed) => {
      sometimes('an even seed', seed % 2 === 0);
      sometimes('always');
      sometimes('always'); // twice in one seed: one seed
    });
    expect(counts).toEqual([
      { label: 'an even seed', reached: 5, scenarios: 10 },
      { label: 'always', reached: 10, scenarios: 10 },
    ]);
    expect(task.meta.sometimes).toEqual(counts);
  });

  test('a label no seed reached fails the suite as a learn-ds bug, naming it', () => {
    const error = thrown(() => checkScenario({ seeds: 20, sometimes: ['a second leader'] }, (seed) => {
      sometimes('a crash during replication', seed === 7);
    }));
    expect(error).toBeInstanceOf(SuiteBug);
    expect((error as Error).message).toBe(
      'learn-ds\'s check never reached "a second leader" in 20 scenarios: this check proved nothing (a bug in learn-ds, not in your code: please report it)',
    );
    // Labels declared only by a call with a false condition count as well.
    const quiet = thrown(() => checkScenario({ seeds: 5 }, () => sometimes('never', false)));
    expect((quiet as Error).message).toContain('never reached "never" in 5 scenarios');
  });

  test('a learner\'s code that fails anyway is judged by its failure, not by vacuity', () => {
    const error = thrown(() => checkScenario({ seeds: 20, sometimes: ['never'] }, (seed) => {
      if (seed === 15) fail('the learner\'s mistake');
    }));
    expect(error).toBeInstanceOf(LearnerFailure);
    expect((error as Error).message).toBe('the learner\'s mistake (scenario seed 15)');
  });

  test('fewer seeds than the suite asks for (LEARN_DS_SCENARIOS) cannot prove vacuity; outside checkScenario, sometimes does nothing', () => {
    process.env[SCENARIOS_ENV] = '3';
    const counts = checkScenario({ seeds: 100, sometimes: ['rare'] }, (seed) => sometimes('rare', seed > 50));
    expect(counts).toEqual([{ label: 'rare', reached: 0, scenarios: 3 }]);
    expect(() => sometimes('stray')).not.toThrow();
  });
});

describe('figures', () => {
  test('figure() attaches a measured figure to the check under way and says whether it is within its limit', ({ task }) => {
    expect(figure('messages per broadcast', 18.25, { limit: 30 })).toBe(true);
    expect(figure('median delay', 412, { unit: 'ms', limit: 400 })).toBe(false);
    expect(figure('throughput', 30, { unit: 'ops/s', limit: 30, better: 'higher' })).toBe(true);
    expect(figure('events', 7)).toBe(true);
    expect(task.meta.figures).toEqual([
      { name: 'messages per broadcast', value: 18.25, limit: 30 },
      { name: 'median delay', value: 412, unit: 'ms', limit: 400 },
      { name: 'throughput', value: 30, unit: 'ops/s', limit: 30, better: 'higher' },
      { name: 'events', value: 7 },
    ]);
    expect(() => figure('bad', Number.NaN)).toThrow(RangeError);
  });

  test('limits hold exactly at their edge, and fractional values compare as they are', () => {
    expect(withinLimit(30, { limit: 30 })).toBe(true);
    expect(withinLimit(30.0001, { limit: 30 })).toBe(false);
    expect(withinLimit(29.9999, { limit: 30, better: 'higher' })).toBe(false);
    expect(withinLimit(30, { limit: 30, better: 'higher' })).toBe(true);
  });

  test('a figure reads as "name value unit (limit)", three significant digits at most', () => {
    expect(formatFigure({ name: 'messages per broadcast', value: 18.2449, limit: 30 })).toBe('messages per broadcast 18.2 (limit 30)');
    expect(formatFigure({ name: 'median delay', value: 412.6, unit: 'ms', limit: 400 })).toBe('median delay 413 ms (limit 400 ms, over it)');
    expect(formatFigure({ name: 'throughput', value: 12.5, limit: 20, better: 'higher' })).toBe('throughput 12.5 (at least 20, below it)');
    expect(formatFigure({ name: 'loss', value: 0.031234 })).toBe('loss 0.0312');
    expect(formatFigureValue(1234)).toBe('1234');
    expect(formatFigureValue(3.14159)).toBe('3.14');
    expect(formatFigureValue(-0.5)).toBe('-0.5');
  });

  test('verdicts show figures under their check, passed or failed; verify --json carries them as checks[].figures', () => {
    const figures = [{ name: 'messages per broadcast', value: 18.2, limit: 30 }];
    const tests: RawTest[] = [
      { name: 'efficient', path: [], state: 'passed', errors: [], durationMs: 1, figures },
      {
        name: 'fast', path: [], state: 'failed', durationMs: 1, figures: [{ name: 'median delay', value: 500, unit: 'ms', limit: 400 }],
        errors: [{ name: 'LearnerFailure', message: 'too slow' }],
      },
    ];
    const verdict = judge({
      exercise: 'demo', shownFile: 'demo.ts', subjectFile: '/ws/demo.ts', exports: ['demo'], seed: 1, timeoutMs: 10_000, preflight: null,
      outcome: {
        report: { version: 1, complete: true, tests, moduleErrors: [], unhandledErrors: [] },
        exitCode: 1, signal: undefined, timedOut: false, interrupted: false, outputTail: '', runningTest: undefined,
      },
    });
    expect(verdict.checks[1]!.figures).toEqual(figures);
    expect(verdict.checks[0]!.figures).toBeUndefined();
    const text = stripVTControlCharacters(renderVerdict(verdict, { file: 'demo.ts', replay: 'x' })).split('\n');
    const at = text.findIndex((l) => l.includes('efficient'));
    expect(text[at + 1]).toBe('      messages per broadcast 18.2 (limit 30)');
    const slow = text.findIndex((l) => l.includes('fast'));
    expect(text.slice(slow + 1, slow + 3)).toEqual(['      median delay 500 ms (limit 400 ms, over it)', '      too slow']);
    const json = JSON.parse(verdictJson(verdict)) as { checks: Array<{ figures?: unknown }> };
    expect(json.checks[1]!.figures).toEqual(figures);
    expect('figures' in json.checks[0]!).toBe(false);
  });
});
