// The hidden suite of transactional-outbox. Every check plays scripted runs (scenario.ts) against
// the learner's service, relay and consumer on real SQLite databases (sql.js), with a broker that
// refuses a publish and redelivers; the crash checks replay one run once per step of one role,
// crashing right after that step (run.ts, world.ts).
import { test } from 'vitest';
import { fail, figure } from 'learn-ds/harness';
import { loadSqlJs } from './database.ts';
import { runScenario, type Rule, type RunResult } from './run.ts';
import { scenarioFor } from './scenario.ts';
import type { Role } from './world.ts';

/** Failures that make a run's model unreliable: reported by whichever check meets them first. */
const ANY: Rule[] = ['command', 'failed-call'];
const SCENARIOS = ['one', 'two', 'three'];
/** A run has about a hundred steps; a solution that needs far more is stopped here. */
const MAX_CRASH_POINTS = 400;

let base: Promise<Array<{ label: string; result: RunResult }>> | undefined;
/** The runs without a crash, played once and judged by the first three checks, each by its rules. */
function baseRuns(): Promise<Array<{ label: string; result: RunResult }>> {
  return (base ??= (async () => {
    const sql = await loadSqlJs();
    const runs: Array<{ label: string; result: RunResult }> = [];
    for (const label of SCENARIOS) runs.push({ label, result: await runScenario(sql, scenarioFor(`base ${label}`)) });
    return runs;
  })());
}

function failOn(result: RunResult, rules: Rule[], where: string): void {
  const violation = result.violations.find((v) => ANY.includes(v.rule) || rules.includes(v.rule));
  if (violation) fail(`${where}: ${violation.message}`, story(result));
}

function story(result: RunResult): string {
  const lines = result.story;
  const shown = lines.length > 40 ? ['…', ...lines.slice(-40)] : lines;
  return `what happened in this run:\n${shown.map((l) => `  ${l}`).join('\n')}`;
}

test("without crashes: the relay publishes each committed change's event once, with its new balance, and none for a rejected withdrawal", async () => {
  for (const { label, result } of await baseRuns()) {
    failOn(result, ['rolled-back', 'content', 'never-published', 'command-publishes'], `run ${label} (no crash)`);
    const again = result.republished[0];
    if (again) {
      fail(
        `run ${label} (no crash): event ${JSON.stringify(again.eventId)} (account ${JSON.stringify(again.accountId)}) was published ${again.times} times without any crash; publishPending() must mark each row sent once its publish resolved, so that a later call skips it`,
        story(result),
      );
    }
  }
});

test('events of one account are published in the order their changes committed, even when the broker refuses a publish', async () => {
  for (const { label, result } of await baseRuns()) failOn(result, ['order', 'never-published'], `run ${label} (no crash)`);
});

test('the consumer applies each event exactly once: redeliveries and a restart of the consumer change nothing', async () => {
  for (const { label, result } of await baseRuns()) failOn(result, ['partial-effect', 'exactly-once'], `run ${label} (no crash)`);
});

/**
 * Plays one scenario without a crash, then again with a crash right after each step of `role` in
 * turn, until a run ends before reaching that step.
 */
async function sweep(role: Role, label: string): Promise<void> {
  const sql = await loadSqlJs();
  const scenario = scenarioFor(label);
  const who = role === 'command' ? 'the command handlers' : `the ${role}`;
  // Who publishes is the first check's business; these judge what a crash does.
  const judged = (result: RunResult) => result.violations.find((v) => v.rule !== 'command-publishes');
  const calm = await runScenario(sql, scenario);
  const before = judged(calm);
  if (before) fail(`even without a crash, in the run of this check: ${before.message}`, story(calm));
  let points = 0;
  for (let at = 1; at <= MAX_CRASH_POINTS; at++) {
    const result = await runScenario(sql, scenario, { role, at });
    if (!result.crashed) break;
    points++;
    const violation = judged(result);
    if (violation) fail(`crash after step ${at} of ${who}: ${violation.message}`, story(result));
  }
  figure('crash points tried', points);
  if (points === 0) fail(`${who} never ran a statement, a commit or a publish: there was nothing to crash`);
}

test('a crash after any step of a command: a committed change always gets its event published, a rolled-back one never', async () => {
  await sweep('command', 'crash in a command');
});

test('a crash after any step of the relay: restarted, it publishes every remaining event, in order per account', async () => {
  await sweep('relay', 'crash in the relay');
});

test("a crash after any step of the consumer: every event's effect is applied exactly once", async () => {
  await sweep('consumer', 'crash in the consumer');
});
