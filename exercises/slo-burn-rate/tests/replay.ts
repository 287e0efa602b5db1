// Replays traffic into the learner's alerter and the model side by side, and explains the first
// minute where they disagree: which field, the values, and every window as the model sees it.
import { describeThrown, fail, show } from 'learn-ds/harness';
import { BurnRateAlerter } from 'learn-ds/subject/slo-burn-rate';
import { Model, THRESHOLD_SLACK, WINDOWS, type Expected, type WindowName, type WindowView } from './model.ts';

/** One record call: minute, good events, total events. */
export type Batch = readonly [minute: number, good: number, total: number];

export interface Scenario {
  /** Said first in every message: what the traffic is. */
  readonly name: string;
  readonly slo: number;
  /** Passed to the constructor only when given (the default, 100, otherwise). */
  readonly minEvents?: number;
  /** In time order; several batches may share a minute. */
  readonly batches: readonly Batch[];
  /** The minutes replayed, from..to; minutes without batches are minutes without events. */
  readonly from: number;
  readonly to: number;
  /** evaluate is called every `every` minutes from `from` on, and around every change of the expected state (default 1: every minute). */
  readonly every?: number;
  /** When given, evaluate is called only at the minutes it accepts (a pause without any call, chosen edges). */
  readonly evaluateOnly?: (minute: number) => boolean;
  /** Where a minute stands in the story, e.g. "12 minutes into the outage". */
  readonly where?: (minute: number) => string;
}

export interface Step {
  readonly minute: number;
  readonly got: unknown;
  readonly want: Expected;
}

export interface Replay {
  readonly scenario: Scenario;
  readonly steps: readonly Step[];
}

type Alerter = InstanceType<typeof BurnRateAlerter>;

export function create(slo: number, minEvents?: number): Alerter {
  const what = `new BurnRateAlerter(${show(minEvents === undefined ? { slo } : { slo, minEvents })})`;
  try {
    return new BurnRateAlerter(minEvents === undefined ? { slo } : { slo, minEvents });
  } catch (error) {
    fail(`${what} threw ${describeThrown(error)}; expected an alerter`);
  }
}

/** The learner's constructor, called as it is (for the checks of its RangeErrors). */
export function construct(options: { slo: number; minEvents?: number }): Alerter {
  return new BurnRateAlerter(options);
}

/** The minutes to evaluate: a grid, plus each minute where the expected state changes and the one before. */
function sampleMinutes(scenario: Scenario): Set<number> {
  const every = scenario.every ?? 1;
  const model = new Model(scenario.slo, scenario.minEvents);
  const minutes = new Set<number>();
  let next = 0;
  let previous: Expected | undefined;
  for (let m = scenario.from; m <= scenario.to; m++) {
    while (next < scenario.batches.length && scenario.batches[next]![0] === m) {
      const [, good, total] = scenario.batches[next++]!;
      model.record(m, good, total);
    }
    if (scenario.evaluateOnly !== undefined && !scenario.evaluateOnly(m)) continue;
    if (every === 1) {
      minutes.add(m);
      continue;
    }
    const now = model.at(m);
    const changed =
      previous !== undefined &&
      (previous.page !== now.page ||
        previous.ticket !== now.ticket ||
        previous.budgetRemaining > 0 !== now.budgetRemaining > 0 ||
        Math.abs(previous.budgetRemaining - now.budgetRemaining) > 0.005);
    if ((m - scenario.from) % every === 0 || m === scenario.to) minutes.add(m);
    if (changed) {
      minutes.add(m - 1);
      minutes.add(m);
    }
    previous = now;
  }
  return minutes;
}

/** Runs the scenario; the learner's answers are kept as they are, judged later. */
export function replay(scenario: Scenario): Replay {
  const sampled = sampleMinutes(scenario);
  const alerter = create(scenario.slo, scenario.minEvents);
  const model = new Model(scenario.slo, scenario.minEvents);
  const steps: Step[] = [];
  let next = 0;
  for (let m = scenario.from; m <= scenario.to; m++) {
    while (next < scenario.batches.length && scenario.batches[next]![0] === m) {
      const [, good, total] = scenario.batches[next++]!;
      model.record(m, good, total);
      try {
        alerter.record(m, good, total);
      } catch (error) {
        fail(`${scenario.name}: record(${m}, ${good}, ${total})${at(scenario, m)} threw ${describeThrown(error)}; expected it to add the events to minute ${m}`);
      }
    }
    if (!sampled.has(m)) continue;
    let got: unknown;
    try {
      got = alerter.evaluate(m);
    } catch (error) {
      fail(`${scenario.name}: evaluate(${m})${at(scenario, m)} threw ${describeThrown(error)}; expected { page, ticket, budgetRemaining, burnRates }`);
    }
    steps.push({ minute: m, got, want: model.at(m) });
  }
  return { scenario, steps };
}

/** One call, for sequences that interleave record and evaluate within a minute. */
export type Op = readonly ['record', minute: number, good: number, total: number] | readonly ['evaluate', minute: number];

/** Runs calls one by one, as they are; each evaluate's answer is kept to be judged against the model. */
export function replayOps(scenario: Pick<Scenario, 'name' | 'minEvents' | 'where'>, ops: readonly Op[], slo: number): Replay {
  const alerter = create(slo, scenario.minEvents);
  const model = new Model(slo, scenario.minEvents);
  const steps: Step[] = [];
  for (const op of ops) {
    if (op[0] === 'record') {
      const [, m, good, total] = op;
      model.record(m, good, total);
      try {
        alerter.record(m, good, total);
      } catch (error) {
        fail(`${scenario.name}: record(${m}, ${good}, ${total}) threw ${describeThrown(error)}; expected it to add the events to minute ${m}`);
      }
    } else {
      const m = op[1];
      let got: unknown;
      try {
        got = alerter.evaluate(m);
      } catch (error) {
        fail(`${scenario.name}: evaluate(${m}) threw ${describeThrown(error)}; expected { page, ticket, budgetRemaining, burnRates }`);
      }
      steps.push({ minute: m, got, want: model.at(m) });
    }
  }
  return { scenario: { ...scenario, slo, batches: [], from: 0, to: 0 }, steps };
}

function at(scenario: Pick<Scenario, 'where'>, minute: number): string {
  const where = scenario.where?.(minute);
  return where ? ` (${where})` : '';
}

const close = (got: number, want: number) => Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));

/** What is wrong with one answer, or undefined when it is right. */
export function mismatch(got: unknown, want: Expected, slo: number): string | undefined {
  if (typeof got !== 'object' || got === null) return `returned ${show(got)}; expected an object { page, ticket, budgetRemaining, burnRates }`;
  const state = got as Record<string, unknown>;
  const rates = state['burnRates'];
  if (typeof rates !== 'object' || rates === null) return `returned burnRates ${show(rates)}; expected an object with a number for each window: ${WINDOWS.map((w) => `'${w.name}'`).join(', ')}`;
  for (const w of WINDOWS) {
    const value = (rates as Record<string, unknown>)[w.name];
    const view = want.windows.find((v) => v.name === w.name)!;
    if (typeof value !== 'number' || !close(value, view.burn)) {
      return (
        `returned burnRates['${w.name}'] = ${show(value)}; expected ${show(view.burn)}: the ${w.label} window holds ${view.bad} bad events out of ${view.total}, ` +
        (view.total === 0 ? 'and a window without events burns at 0' : `so its burn rate is the error ratio (bad / total = ${view.bad} / ${view.total}) divided by 1 − slo (1 − ${slo})`)
      );
    }
  }
  for (const field of ['page', 'ticket'] as const) {
    if (state[field] !== want[field]) {
      const why = field === 'page' ? explainPage(want) : explainTicket(want);
      return `returned ${field}: ${show(state[field])}; expected ${want[field]}: ${why}`;
    }
  }
  const budget = state['budgetRemaining'];
  if (typeof budget !== 'number' || !close(budget, want.budgetRemaining)) {
    const month = want.windows.at(-1)!;
    return (
      `returned budgetRemaining ${show(budget)}; expected ${show(want.budgetRemaining)}: the last 30 days (43,200 minutes) hold ${month.bad} bad events out of ${month.total}, ` +
      (month.total === 0 ? 'and with no events none of the budget is spent (1)' : `a 30-day burn rate of ${show(month.burn)}, and budgetRemaining is 1 − that`)
    );
  }
  return undefined;
}

function view(want: Expected, name: WindowName): WindowView {
  return want.windows.find((w) => w.name === name)!;
}

/** Why one window does or does not reach a threshold, in a few words. */
function reach(w: WindowView, threshold: number, minEvents: number): string {
  if (!w.enough) return `the ${w.label} window has ${w.total} events, fewer than minEvents (${minEvents}), so it cannot alert`;
  const exactly = Math.abs(w.burn - threshold) < 1e-6;
  if (w.burn >= threshold - THRESHOLD_SLACK) {
    return exactly ? `the ${w.label} burn rate is exactly ${threshold}, which reaches it (≥)` : `the ${w.label} burn rate ${show(w.burn)} ≥ ${threshold}`;
  }
  return `the ${w.label} burn rate ${show(w.burn)} < ${threshold}`;
}

function pair(want: Expected, long: WindowName, short: WindowName, threshold: number): { holds: boolean; text: string } {
  const { minEvents } = want;
  const l = view(want, long);
  const s = view(want, short);
  const ok = (w: WindowView) => w.enough && w.burn >= threshold - THRESHOLD_SLACK;
  const holds = ok(l) && ok(s);
  const parts = holds ? [reach(l, threshold, minEvents), reach(s, threshold, minEvents)] : [l, s].filter((w) => !ok(w)).map((w) => reach(w, threshold, minEvents));
  const atEdge = [l, s].some((w) => w.enough && Math.abs(w.burn - threshold) < 1e-6);
  const note = atEdge
    ? ` (in floating point a burn rate of exactly ${threshold} may come out a hair under it: 1 − 0.999 is 0.0010000000000000009; hence the allowance of ${THRESHOLD_SLACK})`
    : '';
  return { holds, text: parts.join(' and ') + note };
}

export function explainPage(want: Expected): string {
  const a = pair(want, '1h', '5m', 14.4);
  const b = pair(want, '6h', '30m', 6);
  if (a.holds) return `both windows of the first pair reach 14.4: ${a.text}`;
  if (b.holds) return `both windows of the second pair reach 6: ${b.text}`;
  return `neither pair has both windows at its threshold: for 1 h + 5 min (14.4), ${a.text}; for 6 h + 30 min (6), ${b.text}`;
}

export function explainTicket(want: Expected): string {
  const t = pair(want, '3d', '6h', 1);
  return t.holds ? `both the 3-day and the 6-hour windows reach 1: ${t.text}` : `a ticket needs both the 3-day and the 6-hour windows at 1 or more, and ${t.text}`;
}

/** Every window as the model sees it, for the detail under a failure. */
export function windowTable(want: Expected, minute: number): string {
  const rows = want.windows.map((w) => {
    const range = `minutes ${Math.max(0, minute - w.minutes + 1)}..${minute}`;
    return `  ${w.name.padEnd(4)} ${range.padEnd(30)} ${String(w.total).padStart(10)} events ${String(w.bad).padStart(8)} bad   burn rate ${show(w.burn)}`;
  });
  return [`the windows ending at minute ${minute}, as the statement defines them:`, ...rows].join('\n');
}

/** Fails at the first step where the learner's answer differs from the model's. */
export function expectModel(run: Replay): void {
  for (const step of run.steps) {
    const problem = mismatch(step.got, step.want, run.scenario.slo);
    if (problem !== undefined) {
      fail(`${run.scenario.name}: evaluate(${step.minute})${at(run.scenario, step.minute)} ${problem}`, windowTable(step.want, step.minute));
    }
  }
}

/** The learner's `field` at a step, when it is a boolean. */
export function flag(step: Step, field: 'page' | 'ticket'): boolean | undefined {
  const value = typeof step.got === 'object' && step.got !== null ? (step.got as Record<string, unknown>)[field] : undefined;
  return typeof value === 'boolean' ? value : undefined;
}

export function budgetOf(step: Step): number | undefined {
  const value = typeof step.got === 'object' && step.got !== null ? (step.got as Record<string, unknown>)['budgetRemaining'] : undefined;
  return typeof value === 'number' ? value : undefined;
}
