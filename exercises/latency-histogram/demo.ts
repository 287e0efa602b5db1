// `learn-ds run latency-histogram`: a latency distribution with the learner's percentiles marked,
// coordinated omission and its correction, and why per-node p99s cannot be averaged.
import { bar, demo, labelled, sparkline, streamFor } from 'learn-ds/harness';
import { LatencyHistogram } from 'learn-ds/subject/latency-histogram';

const OPTIONS = { lowest: 1, highest: 3_600_000_000, relativeError: 0.01 }; // µs, 1 µs to 1 hour
const WIDTH = 60;
const AXIS_FROM = 100; // µs
const AXIS_TO = 10_000_000; // 10 s

function ms(us: number): string {
  if (us >= 1_000_000) return `${(us / 1_000_000).toPrecision(3)} s`;
  if (us >= 1_000) return `${(us / 1_000).toPrecision(3)} ms`;
  return `${us.toPrecision(3)} µs`;
}

/** The column of a latency on a logarithmic axis from AXIS_FROM to AXIS_TO. */
function column(us: number): number {
  const x = Math.log(Math.max(AXIS_FROM, us) / AXIS_FROM) / Math.log(AXIS_TO / AXIS_FROM);
  return Math.min(WIDTH - 1, Math.floor(x * WIDTH));
}

/** A log-normal draw around `median` (Box–Muller on a seeded stream). */
function logNormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(1e-12, random());
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * z);
}

function exactQuantile(sorted: readonly number[], q: number): number {
  if (q === 1) return sorted[sorted.length - 1]!;
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

demo('20 000 requests: the distribution, and the percentiles your histogram reads off it', () => {
  const random = streamFor('distribution');
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const r = random();
    const latency = r < 0.9 ? logNormal(random, 2_000, 0.35) : r < 0.99 ? logNormal(random, 30_000, 0.4) : logNormal(random, 400_000, 0.9);
    samples.push(Math.min(OPTIONS.highest, Math.round(latency * 10) / 10));
  }
  const h = new LatencyHistogram(OPTIONS);
  for (const s of samples) h.record(s);
  const sorted = [...samples].sort((a, b) => a - b);
  const columns = Array<number>(WIDTH).fill(0);
  for (const s of samples) columns[column(s)]!++;
  const marks: Array<[string, number]> = [['p50', 0.5], ['p90', 0.9], ['p99', 0.99], ['p99.9', 0.999], ['max', 1]];
  const rows = marks.map(([name, q]) => {
    const answer = h.valueAtQuantile(q);
    const exact = exactQuantile(sorted, q);
    const error = exact === 0 ? 0 : Math.abs(answer - exact) / exact;
    return `${' '.repeat(column(answer))}▲ ${name} ${ms(answer)} (exact ${ms(exact)}, off by ${(error * 100).toFixed(2)} %)`;
  });
  return [
    `new LatencyHistogram({ lowest: 1, highest: 3_600_000_000, relativeError: 0.01 }): ${h.bucketCount()} buckets for 1 µs to 1 hour.`,
    'Requests per latency, on a logarithmic axis (√ of the count, so that the tail shows):',
    '',
    sparkline(columns.map(Math.sqrt)),
    `${ms(AXIS_FROM)}${' '.repeat(WIDTH - 20)}${ms(AXIS_TO).padStart(14)}`,
    ...rows,
    '',
    'The mean would be ' + ms(samples.reduce((a, b) => a + b, 0) / samples.length) + ': no request is that slow, and it hides the slow 1 %.',
  ].join('\n');
});

demo('coordinated omission: a 2 s stall, measured by a load generator that waits for each answer', () => {
  // The service answers in about 1 ms, except that it stalls from t = 5 s to t = 7 s.
  // The load generator means to send one request every 10 ms for 10 s, but waits for each answer.
  const random = streamFor('omission');
  const interval = 10_000;
  const stallFrom = 5_000_000;
  const stallTo = 7_000_000;
  const serve = (at: number) => (at >= stallFrom && at < stallTo ? stallTo - at : 0) + logNormal(random, 1_000, 0.2);
  const measured = new LatencyHistogram(OPTIONS);
  const corrected = new LatencyHistogram(OPTIONS);
  for (let t = 0; t < 10_000_000; ) {
    const latency = Math.round(serve(t));
    measured.record(latency);
    corrected.recordCorrected(latency, interval);
    t = Math.max(t + interval, t + latency); // the next request waits for this answer
  }
  // What users sending every 10 ms saw: every request that arrived during the stall waited.
  const users = new LatencyHistogram(OPTIONS);
  for (let t = 0; t < 10_000_000; t += interval) users.record(Math.round(serve(t)));
  const qs: Array<[string, number]> = [['p50', 0.5], ['p90', 0.9], ['p99', 0.99], ['p99.9', 0.999]];
  const top = users.max();
  const row = (name: string, h: InstanceType<typeof LatencyHistogram>) =>
    [name, qs.map(([label, q]) => `${label} ${ms(h.valueAtQuantile(q)).padEnd(8)}`).join(' ') + `  ${h.count()} samples`] as const;
  return [
    'The service stalls for 2 s; the load generator sends every 10 ms but waits for each answer,',
    'so it sends nothing during the stall and records one slow request instead of 200.',
    '',
    labelled([row('as measured', measured), row('recordCorrected', corrected), row('users saw', users)]),
    '',
    labelled([
      ['p99 as measured', bar(measured.valueAtQuantile(0.99), top, 40) + ' ' + ms(measured.valueAtQuantile(0.99))],
      ['p99 corrected', bar(corrected.valueAtQuantile(0.99), top, 40) + ' ' + ms(corrected.valueAtQuantile(0.99))],
      ['p99 users saw', bar(users.valueAtQuantile(0.99), top, 40) + ' ' + ms(users.valueAtQuantile(0.99))],
    ]),
    '',
    'recordCorrected(latency, 10 ms) adds the requests the generator should have sent meanwhile:',
    'latency − 10 ms, latency − 20 ms, … down to 10 ms.',
  ].join('\n');
});

demo("four nodes, one with GC pauses: the fleet's p99 is not the average of the nodes' p99s", () => {
  const random = streamFor('fleet');
  const nodes = [0, 1, 2, 3].map((n) => {
    const h = new LatencyHistogram(OPTIONS);
    for (let i = 0; i < 5_000; i++) {
      const pause = n === 3 && random() < 0.08 ? logNormal(random, 150_000, 0.3) : 0;
      h.record(Math.round(logNormal(random, 3_000, 0.3) + pause));
    }
    return h;
  });
  const fleet = new LatencyHistogram(OPTIONS);
  for (const node of nodes) fleet.merge(node);
  const p99s = nodes.map((h) => h.valueAtQuantile(0.99));
  const average = p99s.reduce((a, b) => a + b, 0) / p99s.length;
  const merged = fleet.valueAtQuantile(0.99);
  const top = Math.max(...p99s, average, merged);
  return [
    labelled([
      ...p99s.map((p, i) => [`node ${i + 1} p99`, `${bar(p, top, 40)} ${ms(p)}`] as const),
      ['average of p99s', `${bar(average, top, 40)} ${ms(average)}`],
      ['merged p99', `${bar(merged, top, 40)} ${ms(merged)}`],
    ]),
    '',
    `Node 4 pauses for GC on 8 % of its requests: 2 % of all requests. The merged histogram (${fleet.count()} values)`,
    `says 1 % of the fleet's requests take over ${ms(merged)}; the average of the p99s says ${ms(average)}, ${(merged / average).toFixed(1)}× too low.`,
  ].join('\n');
});
