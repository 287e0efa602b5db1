// The hidden suite of slo-burn-rate. Every check replays traffic into the learner's alerter and an
// independent model (model.ts) side by side and compares each evaluate; the named scenarios add the
// property they exist for (detection time, reset after recovery, no page on noise or at night).
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { test } from 'vitest';
import { check, describeThrown, fail, holds, show, streamFor } from 'learn-ds/harness';
import { BUDGET_MINUTES, Model } from './model.ts';
import { budgetOf, construct, create, explainPage, explainTicket, expectModel, flag, mismatch, replay, replayOps, windowTable, type Batch, type Op, type Replay } from './replay.ts';
import { Traffic } from './traffic.ts';

const SLOS = [0.999, 0.99, 0.9995] as const;
const HOUR = 60;
const DAY = 1440;

/** A minute in the range of real ones (Date.now() / 60000 is about 29 million), drawn from the seed. */
function epochMinute(label: string): number {
  return 29_000_000 + Math.floor(streamFor(`${label}:epoch`)() * 1_000_000);
}

const percent = (fraction: number) => `${Number((fraction * 100).toFixed(4))}%`;

test('burn rate = (bad events / all events in the window) / (1 − slo), for slo 0.99, 0.999 and 0.9995; 0 for a window without events', () => {
  for (const slo of SLOS) {
    for (const b of [0, epochMinute('formula')]) {
      const run = replayOps({ name: `slo ${slo}: 3 bad events out of 1000 at minute ${b}, then 10 out of 2000, then a batch of 0 events` }, [
        ['evaluate', b],
        ['record', b, 997, 1000],
        ['evaluate', b],
        ['record', b + 1, 1990, 2000],
        ['evaluate', b + 1],
        ['record', b + 2, 0, 0],
        ['evaluate', b + 2],
      ], slo);
      expectModel(run);
    }
  }
});

test("a window's error ratio sums its events: a busy minute weighs more than a quiet one", () => {
  const b = epochMinute('sums');
  const run = replayOps({ name: `1000 good events at minute ${b}, then 10 events all bad at minute ${b + 1}` }, [
    ['record', b, 1000, 1000],
    ['record', b + 1, 0, 10],
    ['evaluate', b + 1],
    ['evaluate', b + 3],
  ], 0.999);
  const first = run.steps[0]!;
  const rate = (first.got as { burnRates?: Record<string, unknown> } | undefined)?.burnRates?.['5m'];
  check(
    typeof rate === 'number' && Math.abs(rate - 10 / 1010 / (1 - 0.999)) < 1e-6,
    () =>
      `1000 good events at minute ${b}, then 10 bad ones at minute ${b + 1}: evaluate(${b + 1}) returned burnRates['5m'] = ${show(rate)}; ` +
      `expected ${show(10 / 1010 / (1 - 0.999))}: the window holds 10 bad events out of 1010 (error ratio 10 / 1010), so the busy minute weighs 100 times more ` +
      'than the quiet one; averaging the two minutes\' ratios (0 and 1) would give 0.5',
  );
  expectModel(run);
});

test('each window holds exactly its last L minutes, the current one included: 5, 30, 60, 360 and 4,320 minutes, and 43,200 for the budget', () => {
  for (const b of [0, epochMinute('edges')]) {
    const batches: Batch[] = [[b, 900, 1000]];
    for (let m = b + 1; m <= b + BUDGET_MINUTES + 1; m++) batches.push([m, 1000, 1000]);
    const edges = new Set<number>([b]);
    for (const minutes of [5, 30, 60, 360, 4320, BUDGET_MINUTES]) {
      edges.add(b + minutes - 1);
      edges.add(b + minutes);
    }
    expectModel(
      replay({
        name: `100 bad events out of 1000 at minute ${b}, then 1000 good events every minute`,
        slo: 0.999,
        batches,
        from: b,
        to: b + BUDGET_MINUTES + 1,
        evaluateOnly: (m) => edges.has(m),
        where: (m) => `${m - b} minutes after the bad minute ${b}`,
      }),
    );
  }
});

test('pages when both the 1-hour and the 5-minute burn rates reach 14.4: exactly 14.4 pages, one bad event fewer does not', () => {
  for (const slo of SLOS) {
    const atEdge = Math.round(14.4 * (1 - slo) * 10_000);
    for (const bad of [atEdge - 1, atEdge, atEdge + 1]) {
      const b = epochMinute('page-14.4');
      const run = replay({
        name: `slo ${slo}: 20000 good events at minute ${b}, then ${bad} bad out of 10000 at minute ${b + 100} (1 h and 5 min burn ${show(bad / 10_000 / (1 - slo))}, 6 h only a third of it)`,
        slo,
        batches: [[b, 20_000, 20_000], [b + 100, 10_000 - bad, 10_000]],
        from: b,
        to: b + 100,
        evaluateOnly: (m) => m === b + 100,
      });
      if (run.steps[0]!.want.page !== bad >= atEdge) throw new Error(`suite bug: the model disagrees with the statement at ${bad} bad events`);
      expectModel(run);
    }
  }
});

test('pages when both the 6-hour and the 30-minute burn rates reach 6: exactly 6 pages, one bad event fewer does not', () => {
  for (const slo of SLOS) {
    const atEdge = Math.round(6 * (1 - slo) * 10_000);
    for (const bad of [atEdge - 1, atEdge, atEdge + 1]) {
      const b = epochMinute('page-6');
      const run = replayOps({ name: `slo ${slo}: ${bad} bad events out of 10000 at minute ${b} (every window burns at ${show(bad / 10_000 / (1 - slo))})` }, [
        ['record', b, 10_000 - bad, 10_000],
        ['evaluate', b],
      ], slo);
      if (run.steps[0]!.want.page !== bad >= atEdge) throw new Error(`suite bug: the model disagrees with the statement at ${bad} bad events`);
      expectModel(run);
    }
  }
});

test('files a ticket when both the 3-day and the 6-hour burn rates reach 1: exactly 1 files one, one bad event fewer does not', () => {
  for (const slo of SLOS) {
    const atEdge = Math.round(1 * (1 - slo) * 10_000);
    for (const bad of [atEdge - 1, atEdge, atEdge + 1]) {
      const b = epochMinute('ticket-1');
      const run = replayOps({ name: `slo ${slo}: ${bad} bad events out of 10000 at minute ${b} (every window burns at ${show(bad / 10_000 / (1 - slo))})` }, [
        ['record', b, 10_000 - bad, 10_000],
        ['evaluate', b],
      ], slo);
      if (run.steps[0]!.want.ticket !== bad >= atEdge) throw new Error(`suite bug: the model disagrees with the statement at ${bad} bad events`);
      expectModel(run);
    }
  }
});

test('an alert needs both windows of its pair: a long window alone, or a short one alone, does not alert', () => {
  const b = epochMinute('pairs');
  const steady = (from: number, to: number): Batch[] => Array.from({ length: to - from + 1 }, (_, i) => [from + i, 1000, 1000] as const);
  const cases: Array<Parameters<typeof replay>[0]> = [
    {
      name: `a million good events at minute ${b - 300}, 1000 bad out of 10000 at minute ${b}, then 1000 good a minute (the 1-hour window stays above 14.4, the 5-minute one drops to 0 after ${b + 4})`,
      slo: 0.999,
      batches: [[b - 300, 1_000_000, 1_000_000], [b, 9000, 10_000], ...steady(b + 1, b + 10)],
      from: b - 300,
      to: b + 10,
      evaluateOnly: (m) => m >= b,
    },
    {
      name: `100000 good events at minute ${b - 30}, then 500 bad out of 1000 at minute ${b} (the 5- and 30-minute windows burn at 500, the 1- and 6-hour ones below 5)`,
      slo: 0.999,
      batches: [[b - 30, 100_000, 100_000], [b, 500, 1000]],
      from: b - 30,
      to: b,
      evaluateOnly: (m) => m === b,
    },
    {
      name: `1000 bad events out of 10000 at minute ${b}, then 1000 good a minute (the 6-hour window stays above 6, the 30-minute one drops to 0 at ${b + 30})`,
      slo: 0.999,
      batches: [[b, 9000, 10_000], ...steady(b + 1, b + 31)],
      from: b,
      to: b + 31,
      evaluateOnly: (m) => m >= b + 28,
    },
    {
      name: `1000 bad events out of 10000 at minute ${b}, then 1000 good a minute (the 3-day window stays above 1; the 6-hour one holds the bad minute until ${b + 359})`,
      slo: 0.999,
      batches: [[b, 9000, 10_000], ...steady(b + 1, b + 361)],
      from: b,
      to: b + 361,
      evaluateOnly: (m) => (m >= b + 55 && m <= b + 65) || m >= b + 357,
    },
    {
      name: `ten million good events at minute ${b - 1000}, then 50 bad out of 10000 at minute ${b} (the 6-hour window burns at 5, the 3-day one at 0.005)`,
      slo: 0.999,
      batches: [[b - 1000, 10_000_000, 10_000_000], [b, 9950, 10_000]],
      from: b - 1000,
      to: b,
      evaluateOnly: (m) => m === b,
    },
  ];
  for (const scenario of cases) expectModel(replay(scenario));
});

test('the minimum-traffic guard: a window with fewer than minEvents events cannot alert (99 and 100 events by default, 36 and 37 with minEvents 37, none with minEvents 0)', () => {
  const b = epochMinute('guard');
  const cases: Array<[minEvents: number | undefined, before: number]> = [[undefined, 99], [37, 36], [0, 0]];
  for (const [minEvents, before] of cases) {
    const limit = minEvents ?? 100;
    const run = replayOps(
      { name: `minEvents ${minEvents === undefined ? 'left out (100)' : minEvents}: ${before} events, all bad, at minute ${b}, then one more bad event at minute ${b + 1}`, minEvents },
      [['record', b, 0, before], ['evaluate', b], ['record', b + 1, 0, 1], ['evaluate', b + 1]],
      0.999,
    );
    const [under, at] = run.steps;
    if (under!.want.page || !at!.want.page) throw new Error(`suite bug: the model disagrees with the statement at minEvents ${limit}`);
    expectModel(run);
  }
});

test('the guard applies to each window of a pair: a 5-minute window under minEvents blocks the page even when the 1-hour one has plenty', () => {
  const b = epochMinute('guard-each');
  expectModel(
    replay({
      name:
        `a million good events at minute ${b - 200}, 1000 bad events (all of that minute) at minute ${b}, 99 bad of 99 at minute ${b + 10}, then 1 bad of 1 at minute ${b + 11} ` +
        `(at ${b + 10} the 5-minute window has 99 events, at ${b + 11} it has 100)`,
      slo: 0.999,
      batches: [[b - 200, 1_000_000, 1_000_000], [b, 0, 1000], [b + 10, 0, 99], [b + 11, 0, 1]],
      from: b - 200,
      to: b + 11,
      evaluateOnly: (m) => m >= b + 10,
    }),
  );
});

test('budgetRemaining is 1 − the 30-day burn rate: 1 without events, negative once overspent', () => {
  const b = epochMinute('budget');
  expectModel(
    replayOps({ name: `slo 0.99: no events, then 500 bad out of 100000 at minute ${b}, then 2000 bad out of 100000 at minute ${b + 1}` }, [
      ['evaluate', b - 1],
      ['record', b, 99_500, 100_000],
      ['evaluate', b],
      ['record', b + 1, 98_000, 100_000],
      ['evaluate', b + 1],
    ], 0.99),
  );
});

test('several record calls for one minute add up, and an evaluate between them sees the events so far', () => {
  const b = epochMinute('batches');
  expectModel(
    replayOps({ name: `batches at minute ${b}: 500 good, then 20 bad, then 980 good out of 1000, with evaluate(${b}) between them` }, [
      ['record', b, 500, 500],
      ['evaluate', b],
      ['record', b, 0, 20],
      ['evaluate', b],
      ['evaluate', b],
      ['record', b, 980, 1000],
      ['evaluate', b],
      ['record', b + 1, 0, 0],
      ['evaluate', b + 1],
    ], 0.999),
  );
});

test('minutes without any call count as minutes without events: pauses of 3 hours, 2 days and 40 days', () => {
  const random = streamFor('pauses');
  const b = epochMinute('pauses');
  const traffic = new Traffic(random, 2);
  const segments: Array<[from: number, to: number]> = [
    [b, b + 119],
    [b + 300, b + 359],
    [b + 3240, b + 3299],
    [b + 3300 + 40 * DAY, b + 3359 + 40 * DAY],
  ];
  for (const [from, to] of segments) traffic.steady(from, to, [900, 1100], 0.0005);
  // An outage in the first stretch, so that every window has bad events to forget during the pauses.
  const outage = b + 100;
  traffic.batches.splice(0, traffic.batches.length, ...traffic.batches.map((batch): Batch => (batch[0] >= outage && batch[0] < outage + 10 ? [batch[0], 0, batch[2]] : batch)));
  expectModel(
    replay({
      name: `slo 0.999: an hour of traffic with a 10-minute outage at minute ${outage}, then no call at all for 3 hours, for 2 days and for 40 days between stretches of traffic`,
      slo: 0.999,
      batches: traffic.batches,
      from: b,
      to: b + 3359 + 40 * DAY,
      evaluateOnly: (m) => segments.some(([from, to]) => m >= from && m <= to),
      where: (m) => {
        const i = segments.findIndex(([from, to]) => m >= from && m <= to);
        return ['before any pause', 'after the 3-hour pause', 'after the 2-day pause', 'after the 40-day pause'][i] ?? '';
      },
    }),
  );
});

test('a total outage pages within its first minutes: the 1st at slo 0.999 and 0.9995, the 9th at 0.99 (when the 1-hour window reaches 14.4)', () => {
  const random = streamFor('outage');
  for (const slo of SLOS) {
    const b = epochMinute(`outage-${slo}`);
    const start = b + 420 + Math.floor(random() * 60);
    const minutesToPage = Math.ceil(14.4 * (1 - slo) * HOUR - 1e-9);
    const batches: Batch[] = [];
    for (let m = b; m < start + 30; m++) batches.push(m < start ? [m, 1000, 1000] : [m, 0, 1000]);
    const run = replay({
      name: `slo ${slo}: 1000 events a minute, all good from minute ${b}, all bad from minute ${start} (a total outage)`,
      slo,
      batches,
      from: b,
      to: start + 29,
      where: (m) => (m < start ? `${start - m} minutes before the outage` : `minute ${m - start + 1} of the outage`),
    });
    const first = run.steps.find((s) => flag(s, 'page') === true);
    const expected = start + minutesToPage - 1;
    check(
      first?.minute === expected,
      () =>
        `${run.scenario.name}: your code ${first === undefined ? 'never paged in the first 30 minutes' : `first paged at minute ${first.minute} (${first.minute < start ? `${start - first.minute} minutes before the outage` : `minute ${first.minute - start + 1} of the outage`})`}; ` +
        `expected minute ${expected}, minute ${minutesToPage} of the outage: the 1-hour window reaches 14.4 × (1 − ${slo}) = ${percent(14.4 * (1 - slo))} bad events ` +
        `after ${show(14.4 * (1 - slo) * HOUR)} minutes of errors, so at its ${minutesToPage === 1 ? '1st' : `${minutesToPage}th`} minute, and the 5-minute one at once`,
    );
    expectModel(run);
  }
});

test('after an outage, the page clears within 30 minutes of its last bad minute and the ticket within 6 hours', () => {
  const random = streamFor('recovery');
  for (const slo of [0.999, 0.9995]) {
    const b = epochMinute(`recovery-${slo}`);
    const traffic = new Traffic(random, 2);
    const start = b + 420 + traffic.int(0, 30);
    const length = traffic.int(10, 40);
    const last = start + length - 1;
    traffic.steady(b, start - 1, [900, 1100], 0.3 * (1 - slo));
    traffic.steady(start, last, [900, 1100], 1);
    traffic.steady(last + 1, last + 420, [900, 1100], 0.3 * (1 - slo));
    const run = replay({
      name: `slo ${slo}: about 1000 events a minute with errors at a burn rate of 0.3, and a total outage at minutes ${start}..${last}`,
      slo,
      batches: traffic.batches,
      from: b,
      to: last + 420,
      where: (m) => (m < start ? 'before the outage' : m <= last ? `minute ${m - start + 1} of the outage` : `${m - last} minutes after the outage's last bad minute`),
    });
    for (const [field, bound, windows] of [['page', 30, 'neither short window (5 min, 30 min) holds'], ['ticket', 360, 'the 6-hour window no longer holds']] as const) {
      const late = run.steps.find((s) => s.minute >= last + bound && flag(s, field) !== false);
      if (late !== undefined) {
        fail(
          `${run.scenario.name}: at minute ${late.minute}, ${late.minute - last} minutes after the outage's last bad minute, evaluate returned ${field}: ${show(flag(late, field))}; ` +
            `expected false: the ${field} clears within ${bound === 30 ? '30 minutes' : '6 hours'}, since from minute ${last + bound} on ${windows} any of the outage ` +
            `(${field === 'page' ? explainPage(late.want) : explainTicket(late.want)})`,
          windowTable(late.want, late.minute),
        );
      }
    }
    expectModel(run);
  }
});

test('a brief spike of errors is noise: it never pages', () => {
  const random = streamFor('noise');
  const b = epochMinute('noise');
  const traffic = new Traffic(random, 3);
  const spikes = new Map<number, number>();
  for (let i = 0; i < 4; i++) spikes.set(b + 360 + i * 240 + traffic.int(0, 60), traffic.int(30, 60) / 100);
  for (let m = b; m <= b + 1200; m++) {
    const total = traffic.int(900, 1100);
    const share = spikes.get(m);
    traffic.minute(m, share === undefined ? Math.floor(total * 0.2 * 0.001 + random()) : Math.round(total * share), total);
  }
  const spikeNear = (m: number) => [...spikes.keys()].filter((s) => s <= m).at(-1);
  const run = replay({
    name: `slo 0.999: about 1000 events a minute at a burn rate of 0.2, with four one-minute spikes of 30–60% errors (minutes ${[...spikes].map(([m, s]) => `${m}: ${percent(s)}`).join(', ')})`,
    slo: 0.999,
    batches: traffic.batches,
    from: b,
    to: b + 1200,
    where: (m) => {
      const s = spikeNear(m);
      return s === undefined ? 'before the first spike' : `${m - s} minutes after the spike at minute ${s}`;
    },
  });
  const paged = run.steps.find((s) => flag(s, 'page') !== false);
  if (paged !== undefined) fail(`${run.scenario.name}: at minute ${paged.minute} evaluate returned page: ${show(flag(paged, 'page'))}; expected false: a spike this brief is noise, ${explainPage(paged.want)}`, windowTable(paged.want, paged.minute));
  expectModel(run);
});

test('a slow burn at 2× files a ticket about a day in, and never pages', () => {
  const random = streamFor('slow-burn');
  const slo = 0.9995;
  const b = epochMinute('slow-burn');
  const traffic = new Traffic(random, 3);
  const start = b + DAY;
  const end = start + 30 * HOUR;
  traffic.steady(b, start - 1, [900, 1100], 0);
  traffic.steady(start, end, [900, 1100], 2 * (1 - slo));
  const run = replay({
    name: `slo ${slo}: about 1000 events a minute, a day without errors, then from minute ${start} a slow burn at 2 (${percent(2 * (1 - slo))} errors)`,
    slo,
    batches: traffic.batches,
    from: b,
    to: end,
    where: (m) => (m < start ? 'before the slow burn' : `${show((m - start) / HOUR)} hours into the slow burn`),
  });
  const paged = run.steps.find((s) => flag(s, 'page') !== false);
  if (paged !== undefined) fail(`${run.scenario.name}: at minute ${paged.minute} evaluate returned page: ${show(flag(paged, 'page'))}; expected false: a slow burn is for a ticket, not a page: ${explainPage(paged.want)}`, windowTable(paged.want, paged.minute));
  const expected = run.steps.find((s) => s.want.ticket);
  if (expected === undefined || expected.minute < start + 18 * HOUR) throw new Error('suite bug: the slow burn should file a ticket about a day in');
  const got = run.steps.find((s) => flag(s, 'ticket') !== false);
  const shown = got !== undefined && got.minute < expected.minute ? got : expected;
  if (got?.minute !== expected.minute) {
    fail(
      `${run.scenario.name}: your code ${got === undefined ? 'never filed a ticket' : `first filed a ticket at minute ${got.minute} (${show((got.minute - start) / HOUR)} hours into the burn)`}; ` +
        `expected minute ${expected.minute}, ${show((expected.minute - start) / HOUR)} hours in: ${explainTicket(expected.want)}`,
      windowTable(shown.want, shown.minute),
    );
  }
  expectModel(run);
});

test('low traffic at night: errors among a few events a minute do not page (minEvents 100)', () => {
  const random = streamFor('night');
  const b = epochMinute('night');
  const traffic = new Traffic(random, 2);
  const night = b + 8 * HOUR;
  const morning = night + 8 * HOUR;
  traffic.steady(b, night - 1, [900, 1100], 0.5 * 0.001);
  const bursts = [night + 90 + traffic.int(0, 30), night + 240 + traffic.int(0, 30), night + 400 + traffic.int(0, 30)];
  for (let m = night; m < morning; m++) {
    if (bursts.includes(m)) {
      traffic.minute(m, 3, 3);
      continue;
    }
    const total = traffic.int(0, 3);
    let bad = 0;
    for (let i = 0; i < total; i++) if (random() < 0.05) bad++;
    traffic.minute(m, bad, total);
  }
  traffic.steady(morning, morning + 2 * HOUR, [300, 1000], 0.5 * 0.001);
  const run = replay({
    name: `slo 0.999: a day at about 1000 events a minute, a night from minute ${night} to ${morning - 1} with 0 to 3 events a minute, 5% of them bad, and 3 bad of 3 at minutes ${bursts.join(', ')}`,
    slo: 0.999,
    batches: traffic.batches,
    from: b,
    to: morning + 2 * HOUR,
    where: (m) => (m < night ? 'in the day' : m < morning ? `${m - night} minutes into the night` : `${m - morning} minutes into the morning`),
  });
  const paged = run.steps.find((s) => s.minute >= night && s.minute < morning && flag(s, 'page') !== false);
  if (paged !== undefined) fail(`${run.scenario.name}: at minute ${paged.minute}, at night, evaluate returned page: ${show(flag(paged, 'page'))}; expected false: ${explainPage(paged.want)}`, windowTable(paged.want, paged.minute));
  expectModel(run);
});

test('over 30 days, incidents exhaust the error budget and it comes back as they age out of the 30-day window', () => {
  const random = streamFor('month');
  const slo = 0.999;
  const b = epochMinute('month');
  const traffic = new Traffic(random);
  const first = b + 33 * DAY + traffic.int(0, DAY);
  const second = b + 42 * DAY + traffic.int(0, DAY);
  const lengths = [traffic.int(15, 20), traffic.int(15, 20)] as const;
  const end = first + BUDGET_MINUTES + DAY;
  for (let m = b; m <= end; m++) {
    const total = traffic.int(900, 1100);
    const inOutage = (m >= first && m < first + lengths[0]) || (m >= second && m < second + lengths[1]);
    traffic.minute(m, inOutage ? total : Math.floor(total * 0.5 * 0.001 + random()), total);
  }
  const run = replay({
    name: `slo ${slo}: about 1000 events a minute at a burn rate of 0.5 for 30 days, then total outages at minutes ${first} (${lengths[0]} minutes) and ${second} (${lengths[1]} minutes)`,
    slo,
    batches: traffic.batches,
    from: b,
    to: end,
    every: HOUR,
    where: (m) => `day ${show(Math.floor(((m - b) / DAY) * 100) / 100)}`,
  });
  // From the first outage on: in the first minutes of the stream, one bad event can spend a budget that is still tiny.
  const exhausted = run.steps.find((s) => s.minute >= first && s.want.budgetRemaining <= 0);
  const back = exhausted && run.steps.find((s) => s.minute > exhausted.minute && s.want.budgetRemaining > 0);
  if (exhausted === undefined || back === undefined) throw new Error('suite bug: the month of incidents should exhaust the budget and give it back');
  for (const [what, want, test] of [
    ['the budget is exhausted (budgetRemaining ≤ 0) first after the first outage began', exhausted, (s: Replay['steps'][number]) => s.minute >= first && (budgetOf(s) ?? 1) <= 0],
    ['budgetRemaining is above 0 again, the first outage having left the last 30 days,', back, (s: Replay['steps'][number]) => s.minute > exhausted.minute && (budgetOf(s) ?? 0) > 0],
  ] as const) {
    const got = run.steps.find(test);
    check(
      got?.minute === want.minute,
      () =>
        `${run.scenario.name}: with your code ${what} at ${got === undefined ? 'no minute' : `minute ${got.minute}`}; expected minute ${want.minute}, where it is ${show(want.want.budgetRemaining)} ` +
        '(1 − the burn rate of the last 30 days, 43,200 minutes)',
      windowTable(want.want, want.minute),
    );
  }
  expectModel(run);
});

test('memory stays bounded: after the first 30 days, two years of minutes grow the heap by less than 8 MB', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const alerter = create(0.999);
  const b = epochMinute('memory');
  let m = b;
  const stream = (days: number) => {
    for (const end = m + days * DAY; m < end; m++) {
      alerter.record(m, 999, 1000);
      if ((m - b) % DAY === 0) alerter.evaluate(m);
    }
  };
  try {
    stream(31);
    const before = heap();
    // Measured every 60 days, so that a leak is caught (and stopped) as soon as it passes the limit.
    for (let day = 31; day < 730; ) {
      const days = Math.min(60, 730 - day);
      stream(days);
      day += days;
      const grown = heap() - before;
      check(
        grown < 8 * 2 ** 20,
        () =>
          `after 31 days of minutes (a record call a minute, an evaluate a day) the heap held ${show(before / 2 ** 20)} MB; after ${day} days it had grown by ${show(grown / 2 ** 20)} MB; ` +
          'expected less than 8 MB of growth over two years: memory must stay bounded by the 30-day window, so keep counts per minute for the last 43,200 minutes only, not every batch or every minute since the start',
      );
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'LearnerFailure') throw error;
    fail(`streaming two years of minutes (a record call a minute, an evaluate a day) threw ${describeThrown(error)} at minute ${m}; expected it to run`);
  }
});

test('invalid arguments throw a RangeError and change nothing', () => {
  const expectRangeError = (what: string, run: () => unknown) => {
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      if (error instanceof RangeError || (error instanceof Error && error.name === 'RangeError')) return;
      fail(`${what} threw ${describeThrown(error)}; expected a RangeError`);
    }
    fail(`${what} returned ${typeof result === 'object' && result !== null ? 'normally' : show(result)} without throwing; expected a RangeError`);
  };
  for (const slo of [0, 1, 1.5, -0.2, Number.NaN, Number.POSITIVE_INFINITY]) expectRangeError(`new BurnRateAlerter({ slo: ${slo} })`, () => construct({ slo }));
  for (const minEvents of [-1, 2.5, Number.NaN]) expectRangeError(`new BurnRateAlerter({ slo: 0.999, minEvents: ${minEvents} })`, () => construct({ slo: 0.999, minEvents }));

  const fresh = create(0.999);
  expectRangeError('record(-1, 1, 1) on a new alerter', () => fresh.record(-1, 1, 1));
  expectRangeError('evaluate(-1) on a new alerter', () => fresh.evaluate(-1));
  expectRangeError('evaluate(1.5) on a new alerter', () => fresh.evaluate(1.5));

  const b = epochMinute('invalid');
  const alerter = create(0.999);
  const model = new Model(0.999);
  alerter.record(b, 990, 1000);
  model.record(b, 990, 1000);
  const rejected: Array<[string, () => unknown]> = [
    [`record(${b - 1}, 0, 50) after record(${b}, …): a minute before one already seen`, () => alerter.record(b - 1, 0, 50)],
    [`evaluate(${b - 1}) after record(${b}, …): a minute before one already seen`, () => alerter.evaluate(b - 1)],
    [`record(${b + 0.5}, 0, 50): a minute that is not an integer`, () => alerter.record(b + 0.5, 0, 50)],
    [`record(NaN, 0, 50)`, () => alerter.record(Number.NaN, 0, 50)],
    [`record(Infinity, 0, 50)`, () => alerter.record(Number.POSITIVE_INFINITY, 0, 50)],
    [`record(${b + 100.5}, 0, 50): a later minute that is not an integer`, () => alerter.record(b + 100.5, 0, 50)],
    [`evaluate(${b + 100.5}): a later minute that is not an integer`, () => alerter.evaluate(b + 100.5)],
    [`record(${b}, 60, 50): more good events than events`, () => alerter.record(b, 60, 50)],
    [`record(${b}, -1, 50): negative good events`, () => alerter.record(b, -1, 50)],
    [`record(${b}, 0, -50): negative total`, () => alerter.record(b, 0, -50)],
    [`record(${b}, 0.5, 50): a fraction of an event`, () => alerter.record(b, 0.5, 50)],
    [`record(${b}, 0, 50.5): a fraction of an event`, () => alerter.record(b, 0, 50.5)],
    [`record(${b}, 0, NaN)`, () => alerter.record(b, 0, Number.NaN)],
  ];
  for (const [what, run] of rejected) expectRangeError(what, run);
  let got: unknown;
  try {
    got = alerter.evaluate(b);
  } catch (error) {
    fail(`evaluate(${b}) after record(${b}, 990, 1000) and the rejected calls above threw ${describeThrown(error)}; expected the state of record(${b}, 990, 1000) alone: a rejected call changes nothing`);
  }
  const problem = mismatch(got, model.at(b), 0.999);
  check(
    problem === undefined,
    () => `after record(${b}, 990, 1000) and the rejected calls (${rejected.map(([what]) => what.split(':')[0]).join('; ')}), evaluate(${b}) ${problem}: a call that throws must change nothing`,
  );
});

test('agrees with an independent model on random sequences of records and evaluates', async () => {
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('record' as const), dt: fc.constantFrom(0, 0, 1, 2), bad: fc.nat(30), good: fc.nat(200) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('evaluate' as const), dt: fc.constantFrom(0, 1, 4, 5, 6, 29, 30, 31, 59, 60, 61) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('evaluate' as const),
        dt: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 62, max: 5000 }) }, { weight: 1, arbitrary: fc.integer({ min: 40_000, max: 45_000 }) }),
      }),
    },
  );
  type Step = { kind: 'record'; dt: number; bad: number; good: number } | { kind: 'evaluate'; dt: number };
  const calls = (start: number, steps: readonly Step[]): Op[] => {
    let m = start;
    return steps.map((s): Op => {
      m += s.dt;
      return s.kind === 'record' ? ['record', m, s.good, s.good + s.bad] : ['evaluate', m];
    });
  };
  await holds(
    fc.property(fc.constantFrom(...SLOS, 0.95, 0.9), fc.nat(20), fc.integer({ min: 0, max: 30_000_000 }), fc.array(op, { minLength: 1, maxLength: 40 }), (slo, minEvents, start, steps) => {
      const ops = calls(start, steps);
      expectModel(replayOps({ name: `slo ${slo}, minEvents ${minEvents}: ${ops.length} calls from minute ${start}`, minEvents }, ops, slo));
    }),
    {
      numRuns: 150,
      describe: ([slo, minEvents, start, steps]) =>
        [`new BurnRateAlerter({ slo: ${slo}, minEvents: ${minEvents} })`, ...calls(start, steps).map((c) => (c[0] === 'record' ? `record(${c[1]}, ${c[2]}, ${c[3]})` : `evaluate(${c[1]})`))].join('; '),
    },
  );
});
