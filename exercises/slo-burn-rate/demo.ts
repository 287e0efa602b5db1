// `learn-ds run slo-burn-rate`: twelve hours of traffic with a spike, an outage and a slow burn,
// drawn as the error ratio, your burn rates, your page and ticket, and the budget left.
import { demo, labelled, sparkline, streamFor } from 'learn-ds/harness';
import { BurnRateAlerter } from 'learn-ds/subject/slo-burn-rate';

const SLO = 0.999;
const HOUR = 60;
const SPAN = 12 * HOUR;
const PER_COLUMN = 10;
const WIDTH = SPAN / PER_COLUMN;

/** The error ratio of minute `t` of the twelve hours drawn. */
function errorRatio(t: number): number {
  if (t === HOUR) return 0.5; // a one-minute spike: noise
  if (t >= 2 * HOUR && t < 2 * HOUR + 15) return 1; // a 15-minute total outage
  if (t >= 9 * HOUR) return 3 * (1 - SLO); // a slow burn at 3×
  return 0.3 * (1 - SLO);
}

function hourAxis(): string {
  const line = Array<string>(WIDTH).fill(' ');
  for (let h = 0; h <= 12; h += 2) {
    const label = `${h}h`;
    const at = Math.min(WIDTH - label.length, (h * HOUR) / PER_COLUMN);
    for (let i = 0; i < label.length; i++) line[at + i] = label[i]!;
  }
  return line.join('');
}

const clock = (t: number) => `${Math.floor(t / HOUR)}:${String(t % HOUR).padStart(2, '0')}`;

demo('a spike, an outage and a slow burn at slo 0.999', () => {
  const random = streamFor('demo');
  const alerts = new BurnRateAlerter({ slo: SLO });
  // Thirty days of history at a burn rate of 0.3, so that the budget has a month behind it.
  const start = 29_000_000;
  const history = 30 * 24 * HOUR - SPAN;
  const traffic = (minute: number, ratio: number) => {
    const total = 900 + Math.floor(random() * 201);
    alerts.record(minute, total - Math.min(total, Math.floor(total * ratio + random())), total);
  };
  for (let m = start; m < start + history; m++) traffic(m, 0.3 * (1 - SLO));

  const columns = { errors: [] as number[], b5m: [] as number[], b1h: [] as number[], b30m: [] as number[], b6h: [] as number[], budget: [] as number[] };
  let pageLine = '';
  let ticketLine = '';
  const events: string[] = [];
  let paging = false;
  let ticketing = false;
  for (let c = 0; c < WIDTH; c++) {
    const max = { errors: 0, b5m: 0, b1h: 0, b30m: 0, b6h: 0 };
    let paged = false;
    let ticketed = false;
    let budget = 1;
    for (let t = c * PER_COLUMN; t < (c + 1) * PER_COLUMN; t++) {
      const minute = start + history + t;
      traffic(minute, errorRatio(t));
      const state = alerts.evaluate(minute);
      max.errors = Math.max(max.errors, errorRatio(t));
      max.b5m = Math.max(max.b5m, state.burnRates['5m']);
      max.b30m = Math.max(max.b30m, state.burnRates['30m']);
      max.b1h = Math.max(max.b1h, state.burnRates['1h']);
      max.b6h = Math.max(max.b6h, state.burnRates['6h']);
      budget = state.budgetRemaining;
      paged ||= state.page;
      ticketed ||= state.ticket;
      if (state.page !== paging) events.push(`${clock(t)} page ${state.page ? 'fires' : 'clears'}`);
      if (state.ticket !== ticketing) events.push(`${clock(t)} ticket ${state.ticket ? 'filed' : 'cleared'}`);
      paging = state.page;
      ticketing = state.ticket;
    }
    columns.errors.push(max.errors);
    columns.b5m.push(max.b5m);
    columns.b30m.push(max.b30m);
    columns.b1h.push(max.b1h);
    columns.b6h.push(max.b6h);
    columns.budget.push(Math.max(0, budget));
    pageLine += paged ? '█' : '·';
    ticketLine += ticketed ? '█' : '·';
  }
  // Burn rates on a log scale, so that 0.3, 3 and 1000 all show: a full block is 100 or more.
  const burn = (values: number[]) => sparkline(values.map((v) => Math.log10(1 + v)), Math.log10(101));
  return [
    `slo ${SLO}, about 1000 events a minute at a burn rate of 0.3; at 1:00 one minute of 50% errors,`,
    'at 2:00 a 15-minute total outage, from 9:00 a slow burn at 3× (each column: the most over 10 minutes).',
    '',
    labelled([
      ['error ratio (█ = 100%)', sparkline(columns.errors, 1)],
      ['burn 5 min (log, █ ≥ 100)', burn(columns.b5m)],
      ['burn 1 h', burn(columns.b1h)],
      ['burn 30 min', burn(columns.b30m)],
      ['burn 6 h', burn(columns.b6h)],
      ['page', pageLine],
      ['ticket', ticketLine],
      ['budget left (█ = all)', sparkline(columns.budget, 1)],
      ['', hourAxis()],
    ]),
    '',
    events.length > 0 ? events.join(' · ') : 'no alert fired',
    '',
    'The spike sends the 5-minute burn rate far above 14.4, but the hour stays under it: no page.',
    'The outage pages in its first minute and the page clears 30 minutes after its last bad minute,',
    'when the 30-minute window has forgotten it; the 6-hour window keeps the ticket for 6 hours. The',
    'slow burn never pages: it files a ticket once the 6-hour burn rate reaches 1.',
  ].join('\n');
});
