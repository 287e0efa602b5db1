// `learn-ds run canary-analysis`: the two latency distributions of one window, and a rollout's steps.
import { bar, demo, labelled, sparkline, streamFor } from 'learn-ds/harness';
import { Rollout, analyze, type Step } from 'learn-ds/subject/canary-analysis';
import { HEALTHY, REQUESTS_AT, window } from './tests/traffic.ts';

/** Counts of `values` in `width` equal bins over [from, to). */
function histogram(values: readonly number[], from: number, to: number, width: number): number[] {
  const counts = Array<number>(width).fill(0);
  for (const v of values) if (v >= from && v < to) counts[Math.floor(((v - from) / (to - from)) * width)]!++;
  return counts;
}

demo('one window: a canary 8% slower than its baseline', () => {
  const w = window(streamFor('demo-window'), HEALTHY, { ...HEALTHY, medianMs: 129.6 }, 1000);
  const a = analyze(w);
  const width = 50;
  const [from, to] = [80, 180];
  const b = histogram(w.baseline.latenciesMs, from, to, width);
  const c = histogram(w.canary.latenciesMs, from, to, width);
  const max = Math.max(...b, ...c);
  const axis = `${from} ms`.padEnd(width - `${to} ms`.length) + `${to} ms`;
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));
  return [
    `1,000 requests per side; latencies from ${from} to ${to} ms, one column per ${(to - from) / width} ms:`,
    '',
    labelled([
      ['baseline', sparkline(b, max)],
      ['canary', sparkline(c, max)],
      ['', axis],
    ]),
    '',
    `latency: U = ${a.latency.u} of ${w.baseline.latenciesMs.length * w.canary.latenciesMs.length} pairs, z = ${f(a.latency.z)} (zCritical 1.645), ` +
      `medians ${f(a.latency.baselineMedian)} → ${f(a.latency.canaryMedian)} ms → ${a.latency.verdict}`,
    `errors:  ${w.baseline.errors} and ${w.canary.errors} failed, z = ${f(a.errors.z)} → ${a.errors.verdict}`,
    `verdict: ${a.verdict}. The distributions overlap a lot, yet the ranks show the shift clearly.`,
  ].join('\n');
});

demo('a rollout where the canary slows down only under load (from 50% of traffic)', () => {
  const rand = streamFor('demo-rollout');
  const rollout = new Rollout();
  const rows: Array<[string, string]> = [];
  const glyph: Record<string, string> = { pass: '✓', wait: '…', fail: '✗' };
  let step: Step | undefined;
  for (let i = 0; rollout.state === 'running' && i < 20; i++) {
    const percent = rollout.percent;
    const canary = percent >= 50 ? { ...HEALTHY, medianMs: 144 } : HEALTHY;
    const w = window(rand, HEALTHY, canary, REQUESTS_AT[percent]!);
    const a = analyze(w);
    step = rollout.observe(w);
    rows.push([
      `${String(i + 1).padStart(2)}. at ${String(percent).padStart(2)}%`,
      `${glyph[step.verdict] ?? '?'} ${step.verdict.padEnd(4)}  median ${a.latency.baselineMedian.toFixed(1)} → ${a.latency.canaryMedian.toFixed(1)} ms, ` +
        `z ${a.latency.z.toFixed(1).padStart(5)}  then ${String(step.percent).padStart(3)}% ${bar(step.percent, 100, 20)}`,
    ]);
  }
  return [
    'Each window: baseline and canary on the same share of traffic (1,000, 2,000 then 4,000 requests a side).',
    '',
    labelled(rows),
    '',
    `The rollout ended ${rollout.state} at ${rollout.percent}%. Three passes move a stage on; one failing metric rolls it back.`,
    'A z above 1.645 with a median that rose by less than 5% still passes: that is the guard.',
  ].join('\n');
});
