// analyze(): the Mann–Whitney test on latencies, the two-proportion test on errors, the minimum
// sample count, the effect-size guards and the overall verdict.
import fc from 'fast-check';
import { test } from 'vitest';
import { check, fail, holds, show, streamFor } from 'learn-ds/harness';
import type { Analysis, CanaryOptions, Window } from 'learn-ds/subject/canary-analysis';
import { near, nextUp, run, samplesWithU, showCall, shuffled, side, times } from './helpers.ts';
import { Z_CRITICAL, errorZ, latencyZ, pairwiseU, zMistakes } from './stats.ts';
import { HEALTHY, serve } from './traffic.ts';

/** Names the mistake a wrong latency z matches, when it matches one. */
function zDiagnosis(w: Window, z: unknown): string {
  const match = zMistakes(w.baseline.latenciesMs, w.canary.latenciesMs).find(([, value]) => near(z, value));
  return match ? ` (your z is the one ${match[0]})` : '';
}

function expectLatencyZ(w: Window, options: CanaryOptions, a: Analysis): void {
  const z = latencyZ(w.baseline.latenciesMs, w.canary.latenciesMs);
  check(
    near(a.latency.z, z),
    () => `${showCall(w, options)} reported latency.z = ${show(a.latency.z)}; expected ${show(z)}: ` +
      `z = (U − m·n/2 − 0.5) / σ, with the tie-corrected σ${zDiagnosis(w, a.latency.z)}`,
  );
}

function expectVerdicts(w: Window, options: CanaryOptions | undefined, a: Analysis, latency: string, errors: string, overall: string, why: string): void {
  check(
    a.latency.verdict === latency && a.errors.verdict === errors && a.verdict === overall,
    () => `${showCall(w, options)} gave latency ${show(a.latency.verdict)}, errors ${show(a.errors.verdict)}, verdict ${show(a.verdict)}; ` +
      `expected ${show(latency)}, ${show(errors)}, ${show(overall)}: ${why}`,
  );
}

const values = fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 4, max: 48 }).map((q) => q / 4));

test('reports U (canary slower in a pair counts 1, a tie 1/2) and z, on random samples with ties and fractions', () => {
  holds(
    fc.property(fc.array(values, { minLength: 1, maxLength: 30 }), fc.array(values, { minLength: 1, maxLength: 30 }), (b, c) => {
      const w = { baseline: side(b), canary: side(c, 0) };
      const options = { minSamples: 1 };
      const a = run(w, options);
      const u = pairwiseU(b, c);
      if (!near(a.latency.u, u)) {
        return fail(
          `${showCall(w, options)} reported latency.u = ${show(a.latency.u)}; expected ${u}, counted pair by pair ` +
            '(1 for each pair where the canary is slower, 1/2 for each tie): ties must share the average of their ranks',
        );
      }
      expectLatencyZ(w, options, a);
      return true;
    }),
  );
});

test('ties share the average of their ranks: all-equal samples give U = m·n/2, z = 0, and pass', () => {
  const w = { baseline: side(times(50, 100)), canary: side(times(60, 100)) };
  const a = run(w);
  check(
    a.latency.u === 1500 && near(a.latency.z, 0) && a.latency.verdict === 'pass',
    () => `${showCall(w)} reported latency u = ${show(a.latency.u)}, z = ${show(a.latency.z)}, verdict ${show(a.latency.verdict)}; ` +
      'expected u = 1500 (60 × 50 / 2), z = 0 and pass: when every latency is the same, ties share the average of their ranks ' +
      'and σ is 0, which the statement turns into z = 0',
  );
  // Two tied groups: whole milliseconds, as many metrics systems report them.
  const tied = { baseline: side([...times(30, 10), ...times(30, 20)]), canary: side([...times(20, 10), ...times(40, 20)]) };
  const t = run(tied);
  check(
    near(t.latency.u, pairwiseU(tied.baseline.latenciesMs, tied.canary.latenciesMs)),
    () => `${showCall(tied)} reported latency.u = ${show(t.latency.u)}; expected ${pairwiseU(tied.baseline.latenciesMs, tied.canary.latenciesMs)}: ` +
      'ties must share the average of their ranks',
  );
});

test('the variance has the tie correction: heavily tied whole-millisecond latencies', () => {
  const w = { baseline: side([...times(30, 10), ...times(20, 11)]), canary: side([...times(20, 10), ...times(30, 11)]) };
  const z = latencyZ(w.baseline.latenciesMs, w.canary.latenciesMs);
  const untied = zMistakes(w.baseline.latenciesMs, w.canary.latenciesMs).find(([name]) => name.includes('tie'))![1];
  // Between the corrected z and the one without the correction: only the correct z reaches it.
  const options = { zCritical: (z + untied) / 2, maxLatencyIncrease: 0 };
  const a = run(w, options);
  expectLatencyZ(w, options, a);
  expectVerdicts(w, options, a, 'fail', 'pass', 'fail', `z = ${show(z)} ≥ zCritical and the median rose from 10 to 11 ms (the tie correction makes σ smaller)`);
});

test('z uses the continuity correction; a canary exactly at zCritical fails, just below it passes', () => {
  // m = 24, n = 25: σ = 50 exactly, and U = 383 gives z = (383 − 300 − 0.5) / 50 = 1.65.
  const w = samplesWithU(24, 25, 383);
  const at = { minSamples: 24, zCritical: 1.65, maxLatencyIncrease: 0 };
  const a = run(w, at);
  check(a.latency.u === 383, () => `${showCall(w, at)} reported latency.u = ${show(a.latency.u)}; expected 383 (pairs where the canary is slower)`);
  expectLatencyZ(w, at, a);
  expectVerdicts(w, at, a, 'fail', 'pass', 'fail', 'z = 1.65 is exactly zCritical: the canary is worse when z ≥ zCritical, at exactly zCritical too');
  const above = { ...at, zCritical: nextUp(1.65) };
  const b = run(w, above);
  expectVerdicts(w, above, b, 'pass', 'pass', 'pass', `z = 1.65 is below zCritical = ${show(above.zCritical)}, the next number above 1.65`);
});

test('the default zCritical is 1.6448536269514722, the one-sided 5% level', () => {
  // σ = 50: U = 383 gives z = 1.65 (worse), U = 382 gives z = 1.63 (not shown to be worse).
  for (const [u, verdict] of [[383, 'fail'], [382, 'pass']] as const) {
    const w = samplesWithU(24, 25, u);
    const options = { minSamples: 24, maxLatencyIncrease: 0 };
    const a = run(w, options);
    expectVerdicts(w, options, a, verdict, 'pass', verdict, `z = ${show((u - 300.5) / 50)} against the default zCritical = ${Z_CRITICAL}`);
  }
});

test('one-sided: a canary faster than the baseline, or with fewer errors, passes however clear the difference', () => {
  const rand = streamFor('faster');
  const baseline = serve(rand, { ...HEALTHY, errorRate: 0.2 }, 400);
  const canary = serve(rand, { medianMs: 60, errorRate: 0 }, 400);
  const w = { baseline, canary };
  const a = run(w);
  expectVerdicts(w, undefined, a, 'pass', 'pass', 'pass', 'the canary is twice as fast and never fails: the test asks only whether the canary is worse (one-sided), a faster canary passes');
  check(
    typeof a.latency.z === 'number' && a.latency.z < -5 && typeof a.errors.z === 'number' && a.errors.z < -5,
    () => `${showCall(w)} reported latency.z = ${show(a.latency.z)} and errors.z = ${show(a.errors.z)}; expected both far below 0: z is positive when the canary is worse, negative when it is better`,
  );
});

test('a canary clearly slower fails on latency, one clearly failing more fails on errors', () => {
  const rand = streamFor('slower');
  const slow = { baseline: serve(rand, HEALTHY, 400), canary: serve(rand, { ...HEALTHY, medianMs: 180 }, 400) };
  expectVerdicts(slow, undefined, run(slow), 'fail', 'pass', 'fail', 'the canary\'s latencies are 1.5 times the baseline\'s');
  const failing = { baseline: serve(rand, HEALTHY, 400), canary: serve(rand, { ...HEALTHY, errorRate: 0.1 }, 400) };
  expectVerdicts(failing, undefined, run(failing), 'pass', 'fail', 'fail', 'the canary fails about 10% of requests, the baseline 0.2%');
});

test('judges by ranks, not means: one slow outlier does not fail a canary, nor hide a slower one', () => {
  const base = Array.from({ length: 60 }, (_, i) => 100 + i * 0.5);
  // One GC pause of a minute among otherwise equal requests: the mean doubles, the ranks barely move.
  const outlier = { baseline: side(base), canary: side([...base.slice(1), 60_000]) };
  expectVerdicts(outlier, undefined, run(outlier), 'pass', 'pass', 'pass', 'one outlier moves the mean a lot but the ranks hardly at all; judge by ranks, not means');
  // Every canary request 15% slower, but the baseline had the outlier: its mean is higher.
  const hidden = { baseline: side([...base.slice(1), 60_000]), canary: side(base.map((v) => v * 1.15)) };
  expectVerdicts(hidden, undefined, run(hidden), 'fail', 'pass', 'fail', 'every canary request is 15% slower; one baseline outlier raises the baseline\'s mean, not its ranks: judge by ranks, not means');
});

test('waits until each side has at least minSamples latencies (and requests, for errors)', () => {
  const rand = streamFor('min-samples');
  const slowCanary = (count: number) => serve(rand, { medianMs: 200, errorRate: 0 }, count).latenciesMs;
  const fast = (count: number) => serve(rand, { medianMs: 100, errorRate: 0 }, count).latenciesMs;
  const options = { minSamples: 30 };
  const cases: Array<[Window, string, string, string]> = [
    [{ baseline: side(fast(30)), canary: side(slowCanary(29)) }, 'wait', 'wait', 'the canary has 29 latencies, one fewer than minSamples = 30'],
    [{ baseline: side(fast(29)), canary: side(slowCanary(30)) }, 'wait', 'wait', 'the baseline has 29 latencies, one fewer than minSamples = 30'],
    [{ baseline: side(fast(30)), canary: side(slowCanary(30)) }, 'fail', 'pass', 'both sides have exactly minSamples = 30 latencies: at least minSamples is enough'],
    [{ baseline: side(fast(30)), canary: side(slowCanary(25), 5) }, 'wait', 'fail', 'the canary has 25 latencies (fewer than minSamples = 30, so latency waits) and 25 + 5 = 30 requests: the error rate is judged on requests, latencies plus errors'],
    [{ baseline: side(fast(25), 4), canary: side(slowCanary(30), 10) }, 'wait', 'wait', 'the baseline has 25 + 4 = 29 requests, one fewer than minSamples = 30'],
  ];
  for (const [w, latency, errors, why] of cases) {
    const a = run(w, options);
    expectVerdicts(w, options, a, latency, errors, latency === 'fail' || errors === 'fail' ? 'fail' : latency === 'wait' || errors === 'wait' ? 'wait' : 'pass', why);
  }
  // The default minSamples is 50.
  for (const [count, verdict] of [[49, 'wait'], [50, 'fail']] as const) {
    const w = { baseline: side(fast(count)), canary: side(slowCanary(count)) };
    const a = run(w);
    check(
      a.latency.verdict === verdict,
      () => `${showCall(w)} gave latency ${show(a.latency.verdict)}; expected ${show(verdict)}: the default minSamples is 50 and each side has ${count} (at least minSamples are needed)`,
    );
  }
});

test('empty samples wait, without throwing', () => {
  const empty = { baseline: side([]), canary: side([]) };
  expectVerdicts(empty, undefined, run(empty), 'wait', 'wait', 'wait', 'neither side served anything yet: fewer than minSamples');
  const oneSided = { baseline: side(times(80, 100), 1), canary: side([]) };
  expectVerdicts(oneSided, { minSamples: 1 }, run(oneSided, { minSamples: 1 }), 'wait', 'wait', 'wait', 'the canary has no samples, fewer than minSamples = 1');
});

test('the latency guard: a significant rise of the median within maxLatencyIncrease passes, exactly at the limit too', () => {
  // 51 latencies each, medians 80 and 100 (a rise of exactly 25%); z is far above zCritical.
  const baseline = Array.from({ length: 51 }, (_, i) => 80 + (i - 25) * 0.5);
  const rand = streamFor('guard');
  const w = { baseline: side(shuffled(baseline, rand)), canary: side(shuffled(baseline.map((v) => v + 20), rand)) };
  for (const [limit, verdict, why] of [
    [0.25, 'pass', 'the median rose from 80 to 100 ms, by exactly maxLatencyIncrease = 25%: it must rise by more than that to fail'],
    [0.25 - 2 ** -8, 'fail', 'the median rose by 25%, more than maxLatencyIncrease = 0.24609375'],
  ] as const) {
    const options = { maxLatencyIncrease: limit };
    const a = run(w, options);
    check(
      a.latency.baselineMedian === 80 && a.latency.canaryMedian === 100,
      () => `${showCall(w, options)} reported medians ${show(a.latency.baselineMedian)} (baseline) and ${show(a.latency.canaryMedian)} (canary); expected 80 and 100`,
    );
    expectVerdicts(w, options, a, verdict, 'pass', verdict, why);
  }
  // The default guard is 5%: a 4% rise passes though significant, a 6% one fails.
  for (const [rise, verdict] of [[1.04, 'pass'], [1.06, 'fail']] as const) {
    const big = serve(streamFor(`guard-${rise}`), { medianMs: 100, spread: 0.05, errorRate: 0 }, 4000).latenciesMs;
    const g = { baseline: side(big.slice(0, 2000)), canary: side(big.slice(2000).map((v) => v * rise)) };
    const a = run(g);
    expectVerdicts(g, undefined, a, verdict, 'pass', verdict, `the canary is ${Math.round((rise - 1) * 100)}% slower, significantly; the default maxLatencyIncrease is 5%`);
  }
});

test('medians: the middle latency, or the mean of the two middle ones for an even count', () => {
  // 50 each: the two middle baseline latencies are 72 and 88 (median 80), the canary's 99 and 101 (median 100).
  const baseline = [...times(24, 40), 72, 88, ...times(24, 95)];
  const canary = [...times(24, 60), 99, 101, ...times(24, 130)];
  const rand = streamFor('medians');
  const w = { baseline: side(shuffled(baseline, rand)), canary: side(shuffled(canary, rand)) };
  const options = { maxLatencyIncrease: 0.25 };
  const a = run(w, options);
  check(
    a.latency.baselineMedian === 80 && a.latency.canaryMedian === 100,
    () => `${showCall(w, options)} reported medians ${show(a.latency.baselineMedian)} (baseline) and ${show(a.latency.canaryMedian)} (canary); ` +
      'expected 80 (the mean of 72 and 88) and 100 (the mean of 99 and 101): with an even count the median is the mean of the two middle values',
  );
  check(
    a.latency.verdict === 'pass',
    () => `${showCall(w, options)} gave latency ${show(a.latency.verdict)}; expected pass: the median rose from 80 to 100 ms, exactly maxLatencyIncrease = 25%`,
  );
});

test('errors: the pooled two-proportion z; a canary exactly at zCritical fails, just below it passes', () => {
  // 128 requests each, 56 and 72 failing: pooled rate 1/2, σ = 1/16, z = (72 − 56) / 128 × 16 = 2 exactly.
  const w = { baseline: side(times(72, 100), 56), canary: side(times(56, 100), 72) };
  const at = { zCritical: 2, maxErrorRateIncrease: 0.0625 };
  const a = run(w, at);
  const z = errorZ(w.baseline, w.canary);
  check(
    near(a.errors.z, z) && near(a.errors.baselineRate, 56 / 128) && near(a.errors.canaryRate, 72 / 128),
    () => `${showCall(w, at)} reported errors z = ${show(a.errors.z)}, baselineRate ${show(a.errors.baselineRate)}, canaryRate ${show(a.errors.canaryRate)}; ` +
      `expected z = 2 (the pooled rate (56 + 72) / 256 in the standard error), 0.4375 and 0.5625`,
  );
  expectVerdicts(w, at, a, 'pass', 'fail', 'fail', 'errors.z = 2 is exactly zCritical: the canary is worse when z ≥ zCritical, at exactly zCritical too');
  const above = { ...at, zCritical: nextUp(2) };
  expectVerdicts(w, above, run(w, above), 'pass', 'pass', 'pass', `errors.z = 2 is below zCritical = ${show(above.zCritical)}`);
});

test('the error guard: a significant rise of the error rate up to maxErrorRateIncrease passes, exactly at the limit too', () => {
  // 128 requests each, 56 and 72 failing: the rate rises by exactly 0.125, z = 2.
  const w = { baseline: side(times(72, 100), 56), canary: side(times(56, 100), 72) };
  for (const [limit, verdict, why] of [
    [0.125, 'pass', 'the error rate rose by exactly maxErrorRateIncrease = 0.125: it must rise by more than that to fail'],
    [0.125 - 2 ** -10, 'fail', 'the error rate rose by 0.125, more than maxErrorRateIncrease = 0.1240234375'],
  ] as const) {
    const options = { maxErrorRateIncrease: limit };
    expectVerdicts(w, options, run(w, options), 'pass', verdict, verdict, why);
  }
  // The default is 0.01 (one percentage point): 0.5% → 1.4% passes though significant, 0.5% → 1.6% fails.
  for (const [canaryErrors, verdict] of [[140, 'pass'], [160, 'fail']] as const) {
    const g = { baseline: side(times(9950, 100), 50), canary: side(times(10_000 - canaryErrors, 100), canaryErrors) };
    expectVerdicts(g, undefined, run(g), 'pass', verdict, verdict, `the error rate rose from 0.5% to ${canaryErrors / 100}%; the default maxErrorRateIncrease is 0.01`);
  }
});

test('errors: no failures at all, or nothing but failures, gives z = 0 and passes', () => {
  const none = { baseline: side(times(60, 100)), canary: side(times(60, 100)) };
  const a = run(none);
  check(
    near(a.errors.z, 0) && a.errors.verdict === 'pass',
    () => `${showCall(none)} reported errors z = ${show(a.errors.z)}, verdict ${show(a.errors.verdict)}; expected 0 and pass: no request failed on either side (σ = 0 gives z = 0)`,
  );
  const all = { baseline: side([], 60), canary: side([], 70) };
  const b = run(all);
  check(
    near(b.errors.z, 0),
    () => `${showCall(all)} reported errors z = ${show(b.errors.z)}; expected 0: every request failed on both sides (σ = 0 gives z = 0)`,
  );
  expectVerdicts(all, undefined, b, 'wait', 'pass', 'wait', 'no latencies (fewer than minSamples) and no difference in error rates');
});

test('overall verdict: any fail fails, otherwise any wait waits, otherwise pass', () => {
  const rand = streamFor('overall');
  const ok = (count: number) => serve(rand, { medianMs: 100, errorRate: 0 }, count).latenciesMs;
  const options = { minSamples: 50 };
  // The canary's latencies are too few, but its requests (latencies + errors) are enough: errors fail.
  const failAndWait = { baseline: side(ok(60)), canary: side(ok(30), 30) };
  expectVerdicts(failAndWait, options, run(failAndWait, options), 'wait', 'fail', 'fail', 'errors failed while latency waited: any fail makes the verdict fail');
  const passAndWait = { baseline: side(ok(55), 5), canary: side(ok(45), 5) };
  const pw = run(passAndWait, options);
  check(
    pw.latency.verdict === 'wait' && pw.verdict === 'wait',
    () => `${showCall(passAndWait, options)} gave latency ${show(pw.latency.verdict)}, errors ${show(pw.errors.verdict)}, verdict ${show(pw.verdict)}; ` +
      'expected latency wait (45 latencies) and verdict wait: with no fail, any wait makes the verdict wait',
  );
});

test('leaves the caller\'s samples as they were (same order, same values)', () => {
  const rand = streamFor('pure');
  const w = { baseline: serve(rand, HEALTHY, 300), canary: serve(rand, { ...HEALTHY, medianMs: 130 }, 300) };
  const before = JSON.stringify(w);
  run(w);
  check(
    JSON.stringify(w) === before,
    () => `${showCall(w)} changed the window it was given (its latencies were sorted or changed in place); the samples are the caller's: sort a copy`,
  );
});

test('z matches on large seeded windows, and the order of samples does not matter', () => {
  const rand = streamFor('large');
  const w = { baseline: serve(rand, HEALTHY, 3000, 1), canary: serve(rand, { ...HEALTHY, medianMs: 121 }, 3000, 1) };
  const a = run(w);
  expectLatencyZ(w, {}, a);
  const again = { baseline: side(shuffled(w.baseline.latenciesMs, rand), w.baseline.errors), canary: side(shuffled(w.canary.latenciesMs, rand), w.canary.errors) };
  const b = run(again);
  check(
    near(b.latency.z, a.latency.z) && b.verdict === a.verdict,
    () => `the same window in another order gave latency.z = ${show(b.latency.z)} and verdict ${show(b.verdict)}, against ${show(a.latency.z)} and ${show(a.verdict)}; ranks do not depend on order`,
  );
});
