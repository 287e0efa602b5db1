// Many concurrent transactions over seeded interleavings: no conflicting locks at once, a
// conflict-serializable committed history, and every transaction finishing.
import { test } from 'vitest';
import { check, fail, show, streamFor, useVirtualTime } from 'learn-ds/harness';
import { checkTransactions } from 'learn-ds/sim';
import { describeScenario, lastEvents, randomScenario, runScenario, type Outcome, type Scenario } from './workload.ts';

const SCENARIOS = 50;

interface Run {
  readonly scenario: Scenario;
  readonly outcome: Outcome;
}

let runs: Promise<Run[]> | undefined;
let finished = false;

/** The random scenarios, run once and judged by each check of this file in turn. */
function allRuns(): Promise<Run[]> {
  runs ??= (async () => {
    const random = streamFor('workload');
    const out: Run[] = [];
    for (let i = 1; i <= SCENARIOS; i++) {
      useVirtualTime();
      const scenario = randomScenario(random);
      out.push({ scenario, outcome: await runScenario(scenario, random) });
    }
    finished = true;
    return out;
  })();
  return runs;
}

/** Judges the random scenarios in order, failing at the first that `judge` fails. */
async function eachScenario(judge: (outcome: Outcome, scenario: Scenario, index: number) => void): Promise<void> {
  // A check that ran out of time leaves the scenarios running, on a clock that is gone.
  if (runs !== undefined && !finished) fail('the random scenarios were still running when the first concurrent check ran out of time: see that check');
  const all = await allRuns();
  all.forEach(({ scenario, outcome }, i) => judge(outcome, scenario, i + 1));
}

function detail(outcome: Outcome, scenario: Scenario): string {
  return `the transactions (ids ${scenario.shape}), each committing with releaseAll and trying again after a DeadlockError:\n${describeScenario(scenario)}\nwhat happened:\n${lastEvents(outcome)}`;
}

function noErrors(outcome: Outcome, scenario: Scenario, i: number): void {
  if (outcome.errors.length > 0) fail(`in random scenario ${i}, ${outcome.errors[0]}`, detail(outcome, scenario));
}

test('concurrent transactions: no two transactions ever hold conflicting locks on a key at the same time', async () => {
  await eachScenario((outcome, scenario, i) => {
    check(
      outcome.conflicts.length === 0,
      () => `in random scenario ${i}, ${outcome.conflicts[0]}; expected a request to wait while another transaction holds a conflicting lock (only shared locks are compatible)`,
      detail(outcome, scenario),
    );
    noErrors(outcome, scenario, i);
  });
});

test('concurrent transactions: the committed history is conflict-serializable', async () => {
  await eachScenario((outcome, scenario, i) => {
    noErrors(outcome, scenario, i);
    const result = checkTransactions({ transactions: outcome.history }, 'serializable');
    if (!result.ok) {
      fail(
        `in random scenario ${i}, the committed transactions are not serializable: ${result.name} between ${result.transactions.map(show).join(', ')}; strict two-phase locking must make every committed history serializable`,
        `${result.story}\n${detail(outcome, scenario)}`,
      );
    }
  });
});

test('concurrent transactions: every transaction finishes, so no request waits forever once the holders finish (deadlocks broken, queues served)', async () => {
  await eachScenario((outcome, scenario, i) => {
    check(
      outcome.stuck.length === 0,
      () => `in random scenario ${i}, ${outcome.stuck[0]}; expected every request to be granted once the transactions ahead of it finish, or its transaction aborted by a DeadlockError if it is on a cycle`,
      `${outcome.stuck.length > 1 ? `also stuck:\n${outcome.stuck.slice(1).map((s) => `  ${s}`).join('\n')}\n` : ''}${detail(outcome, scenario)}`,
    );
    noErrors(outcome, scenario, i);
    check(
      outcome.commits === scenario.plans.length,
      () => `in random scenario ${i}, ${outcome.commits} of ${scenario.plans.length} transactions committed; expected all of them (each tries again after a DeadlockError)`,
      detail(outcome, scenario),
    );
  });
});

test('concurrent transactions: every grant and every abort is the one the rules call for, when they call for it', async () => {
  await eachScenario((outcome, scenario, i) => {
    noErrors(outcome, scenario, i);
    check(
      outcome.divergence === undefined,
      () => `in random scenario ${i}, ${outcome.divergence}`,
      detail({ ...outcome, events: outcome.events.slice(0, outcome.divergedAfter) }, scenario),
    );
  });
});
