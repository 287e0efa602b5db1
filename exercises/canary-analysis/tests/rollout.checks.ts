// Rollout: 1% → 10% → 50% → 100% on passing analyses, a rollback on a failing one, waits that keep
// their samples; judged step by step against the suite's own rollout on seeded traffic.
import { test } from 'vitest';
import { check, describeThrown, fail, show, streamFor } from 'learn-ds/harness';
import { Rollout, type RolloutOptions, type Step, type Window } from 'learn-ds/subject/canary-analysis';
import { shuffled, side } from './helpers.ts';
import { DEFAULTS, ModelRollout, expected, median, requests, type ModelStep } from './stats.ts';
import { HEALTHY, REQUESTS_AT, serve, window, type Service } from './traffic.ts';

const showStep = (s: Pick<Step, 'verdict' | 'percent' | 'state'>) => `{ verdict: ${show(s.verdict)}, percent: ${show(s.percent)}, state: ${show(s.state)} }`;

function create(options?: RolloutOptions): Rollout {
  try {
    return options === undefined ? new Rollout() : new Rollout(options);
  } catch (error) {
    fail(`new Rollout(${options ? show(options) : ''}) threw ${describeThrown(error)}`);
  }
}

/** Why the suite's rollout decided what it did, in the statement's words. */
function reason(model: ModelRollout, before: { percent: number; passes: number }, held: Window, step: ModelStep): string {
  const e = expected(held, model.options);
  const nb = held.baseline.latenciesMs.length;
  const nc = held.canary.latenciesMs.length;
  const figures = `the samples held since the last decision (this window and the waits before it: ${nb} baseline and ${nc} canary latencies, ` +
    `${requests(held.baseline)} and ${requests(held.canary)} requests) give latency ${e.latency}` +
    (e.latency === 'wait' ? '' : ` (z = ${e.latencyZ.toFixed(3)}, medians ${median(held.baseline.latenciesMs).toFixed(1)} → ${median(held.canary.latenciesMs).toFixed(1)} ms)`) +
    ` and errors ${e.errors}` + (e.errors === 'wait' ? '' : ` (z = ${e.errorZ.toFixed(3)})`);
  if (step.verdict === 'fail') return `${figures}: a failing metric rolls back (percent 0, state 'rolled-back')`;
  if (step.verdict === 'wait') return `${figures}: a wait keeps the samples and stays at ${before.percent}% (it does not count as a pass)`;
  const passes = before.passes + 1;
  return `${figures}: pass ${passes} of ${model.passesPerStage} (passesPerStage) at ${before.percent}%` +
    (step.percent !== before.percent ? `, so it advances to ${step.percent}%` : ', so it stays') + '; a pass drops the samples held';
}

interface Drive {
  options?: RolloutOptions;
  /** The window served at this percent, or undefined to stop. */
  next: (percent: number, index: number) => Window | undefined;
  what: string;
}

/** Runs the learner's rollout beside the suite's, window by window, failing at the first difference. */
function drive(d: Drive): { steps: Step[]; rollout: Rollout } {
  const rollout = create(d.options);
  const model = new ModelRollout({ ...DEFAULTS, ...d.options }, d.options?.passesPerStage ?? 3);
  const story: string[] = [];
  const steps: Step[] = [];
  check(
    rollout.percent === 1 && rollout.state === 'running',
    () => `a new Rollout has percent ${show(rollout.percent)} and state ${show(rollout.state)}; expected 1 and 'running'`,
  );
  for (let i = 0; model.state === 'running'; i++) {
    const w = d.next(model.percent, i);
    if (w === undefined) break;
    const before = { percent: model.percent, passes: model.passes };
    const held = {
      baseline: { latenciesMs: model.held.baseline.latenciesMs.concat(w.baseline.latenciesMs), errors: model.held.baseline.errors + w.baseline.errors },
      canary: { latenciesMs: model.held.canary.latenciesMs.concat(w.canary.latenciesMs), errors: model.held.canary.errors + w.canary.errors },
    };
    const want = model.observe(w);
    let got: Step;
    try {
      got = rollout.observe(w);
    } catch (error) {
      fail(`${d.what}: observation ${i + 1} at ${before.percent}% threw ${describeThrown(error)}; expected ${showStep(want)}: ${reason(model, before, held, want)}`, story.join('\n'));
    }
    const label = `observation ${i + 1} at ${before.percent}% (${w.baseline.latenciesMs.length} + ${w.canary.latenciesMs.length} latencies in the window)`;
    const same = got !== null && typeof got === 'object' && got.verdict === want.verdict && got.percent === want.percent && got.state === want.state;
    if (!same) {
      fail(`${d.what}: ${label} returned ${showStep(got)}; expected ${showStep(want)}: ${reason(model, before, held, want)}`, story.length > 0 ? `before it:\n${story.join('\n')}` : undefined);
    }
    check(
      rollout.percent === want.percent && rollout.state === want.state,
      () => `${d.what}: after ${label}, rollout.percent is ${show(rollout.percent)} and rollout.state ${show(rollout.state)}; expected ${show(want.percent)} and ${show(want.state)}, as observe returned`,
    );
    story.push(`  ${label}: ${showStep(want)}`);
    steps.push(got);
  }
  return { steps, rollout };
}

/** A window whose canary served exactly what the baseline served (in another order): it passes. */
function twin(rand: () => number, requestsPerSide: number): Window {
  const s = serve(rand, HEALTHY, requestsPerSide);
  return { baseline: s, canary: side(shuffled(s.latenciesMs, rand), s.errors) };
}

function seeded(label: string, canary: (percent: number, index: number) => Service, requestsAt = (percent: number) => REQUESTS_AT[percent]!): Drive['next'] {
  const rand = streamFor(label);
  return (percent, index) => window(rand, HEALTHY, canary(percent, index), requestsAt(percent));
}

function outcome(steps: Step[]): string {
  return steps.map((s) => `${s.verdict}→${s.percent}%`).join(', ');
}

test('advances after passesPerStage passing analyses: 1% → 10% → 50% → 100%, then complete', () => {
  for (const passesPerStage of [undefined, 2, 1]) {
    const rand = streamFor(`stages-${passesPerStage}`);
    const what = `with ${passesPerStage === undefined ? 'the default passesPerStage (3)' : `passesPerStage ${passesPerStage}`} and canaries that serve what the baseline serves`;
    const { steps, rollout } = drive({ options: passesPerStage === undefined ? undefined : { passesPerStage }, what, next: () => twin(rand, 200) });
    const n = passesPerStage ?? 3;
    check(
      steps.length === 3 * n && rollout.state === 'complete' && rollout.percent === 100,
      () => `${what}, the rollout ended after ${steps.length} observations at ${show(rollout.percent)}% (${show(rollout.state)}); expected complete at 100% after ${3 * n} (passesPerStage at 1%, 10% and 50%)`,
    );
  }
});

test('a wait stays at the same percent, keeps its samples for the next analysis, and does not count as a pass', () => {
  // 20 requests per side and window, minSamples 50: wait, wait, then a pass on the 60 held.
  const rand = streamFor('waits');
  const { steps } = drive({ what: 'with windows of 20 requests per side (minSamples 50)', next: (_, i) => (i < 12 ? twin(rand, 20) : undefined) });
  check(
    outcome(steps) === 'wait→1%, wait→1%, pass→1%, wait→1%, wait→1%, pass→1%, wait→1%, wait→1%, pass→10%, wait→10%, wait→10%, pass→10%',
    () => `the steps were ${outcome(steps)}`,
  );
});

test('a pass drops the samples held: a canary that degrades is judged on the windows after the last pass', () => {
  // At 10%, the third window's canary is 10% slower: on its own it fails; mixed with the earlier
  // windows (or with the whole rollout's) it would not.
  const { rollout } = drive({
    what: 'a canary that turns 10% slower in its third window at 10%',
    next: seeded('degrades', (percent, i) => (percent === 10 && i === 5 ? { ...HEALTHY, medianMs: 132 } : HEALTHY)),
  });
  check(rollout.state === 'rolled-back', () => `the rollout ended ${show(rollout.state)}; expected 'rolled-back'`);
});

test('the canary is compared with the baseline of the same windows: load rising through the day slows both', () => {
  // Each window both sides are 25% slower than in the one before: an older baseline looks fast.
  const grow = (i: number) => 120 * 1.25 ** i;
  const rand = streamFor('drift');
  const { rollout } = drive({
    what: 'traffic where every window is 25% slower than the last, on both sides alike',
    next: (percent, i) => window(rand, { medianMs: grow(i), errorRate: 0 }, { medianMs: grow(i), errorRate: 0 }, REQUESTS_AT[percent]! / 4),
  });
  check(rollout.state === 'complete', () => `the rollout ended ${show(rollout.state)}; expected 'complete'`);
});

test('rolls back when one metric fails: slower latencies alone, or more errors alone', () => {
  for (const [label, canary] of [
    ['latency', { ...HEALTHY, medianMs: 160 }],
    ['errors', { ...HEALTHY, errorRate: 0.05 }],
  ] as const) {
    const { rollout, steps } = drive({
      what: label === 'latency' ? 'a canary a third slower, with the baseline\'s error rate' : 'a canary failing 5% of requests, as fast as the baseline',
      next: seeded(`one-metric-${label}`, (percent, i) => (percent === 10 && i === 4 ? canary : HEALTHY)),
    });
    check(
      rollout.state === 'rolled-back' && rollout.percent === 0 && steps.at(-1)?.percent === 0,
      () => `after the ${label} regression at 10%, the rollout is ${show(rollout.state)} at ${show(rollout.percent)}%; expected 'rolled-back' at 0%: any failing metric rolls back`,
    );
  }
});

test('a finished rollout, complete or rolled back, throws on observe and stays as it was', () => {
  const rand = streamFor('finished');
  const complete = drive({ options: { passesPerStage: 1 }, what: 'passesPerStage 1 and good canaries', next: () => twin(rand, 100) }).rollout;
  const rolledBack = drive({ what: 'a canary twice as slow', next: seeded('finished-bad', () => ({ ...HEALTHY, medianMs: 240 })) }).rollout;
  for (const [rollout, state, percent] of [[complete, 'complete', 100], [rolledBack, 'rolled-back', 0]] as const) {
    let threw = false;
    try {
      rollout.observe(twin(rand, 100));
    } catch {
      threw = true;
    }
    check(
      threw && rollout.state === state && rollout.percent === percent,
      () => `observe on a ${state} rollout ${threw ? 'threw' : 'returned'}, leaving it ${show(rollout.state)} at ${show(rollout.percent)}%; expected it to throw and stay ${show(state)} at ${percent}%`,
    );
  }
});

// The seeded scenarios of the statement.

test('scenario "good": a canary like the baseline goes 1% → 10% → 50% → 100%', () => {
  const { rollout, steps } = drive({ what: 'a good canary', next: seeded('good', () => HEALTHY) });
  check(rollout.state === 'complete', () => `a good canary ended ${show(rollout.state)} (${outcome(steps)}); expected complete`);
});

test('scenario "slightly worse": 1% slower, significant with enough traffic but under maxLatencyIncrease, completes', () => {
  const { rollout, steps } = drive({ what: 'a canary 1% slower', next: seeded('slightly', () => ({ ...HEALTHY, medianMs: 121.2 })) });
  check(rollout.state === 'complete', () => `a canary 1% slower ended ${show(rollout.state)} (${outcome(steps)}); expected complete: the rise is under maxLatencyIncrease`);
});

test('scenario "clearly worse": 30% slower, rolled back at 1% on the first analysis', () => {
  const { rollout, steps } = drive({ what: 'a canary 30% slower', next: seeded('clearly', () => ({ ...HEALTHY, medianMs: 156 })) });
  check(rollout.state === 'rolled-back' && steps.length === 1, () => `a canary 30% slower ended ${show(rollout.state)} after ${outcome(steps)}; expected rolled back at the first analysis`);
});

test('scenario "worse under load": a canary that slows down only at 50% of traffic is rolled back there', () => {
  const { rollout, steps } = drive({
    what: 'a canary that is 20% slower once it takes 50% of traffic',
    next: seeded('under-load', (percent) => (percent >= 50 ? { ...HEALTHY, medianMs: 144 } : HEALTHY)),
  });
  check(rollout.state === 'rolled-back' && steps.at(-2)?.percent === 50, () => `it ended ${show(rollout.state)} after ${outcome(steps)}; expected rolled back at 50%`);
});

test('scenario "too small to tell": 12 requests per side and window at 1% waits, staying at 1%', () => {
  const { rollout, steps } = drive({
    what: 'windows of 12 requests per side',
    next: (() => {
      const next = seeded('small', () => ({ ...HEALTHY, medianMs: 240 }), () => 12);
      return (percent: number, i: number) => (i < 4 ? next(percent, i) : undefined);
    })(),
  });
  check(
    rollout.state === 'running' && rollout.percent === 1 && steps.every((s) => s.verdict === 'wait'),
    () => `after 4 windows of 12 requests per side, the rollout is ${show(rollout.state)} at ${show(rollout.percent)}% (${outcome(steps)}); expected running at 1%, every verdict wait`,
  );
});
