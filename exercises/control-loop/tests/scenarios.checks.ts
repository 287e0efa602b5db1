// Seeded scenarios: an API that fails (some failed changes applied anyway) and lags for a while,
// desired states that change, notifications lost and duplicated, instances lost behind the loop's
// back. Safety is judged at every call; liveness once the faults end.
import { test, vi } from 'vitest';
import { check, figure, flushMicrotasks, freshVirtualTime, nextTimerAt, show, streamFor, virtualNow } from 'learn-ds/harness';
import { errorsOfEveryKind, FakeApi, namesFor } from './api.ts';
import { callsText, checkSafe, settingsText, startReconciler, stop, until, type Settings } from './fixtures.ts';

const SCENARIOS = 25;
const MAX_DELAY = 40;

interface Outcome {
  fake: FakeApi;
  s: Settings;
  faultsEndAt: number;
  boundMs: number;
  convergedAt: number | undefined;
  text: string;
}

/**
 * until(atMs), with less work when no timer is due by then: nothing can happen before `atMs`, so the
 * clock just moves (what until() would do, without its probe timer and two real macrotasks). Called
 * right after a step of virtual time, when every promise callback has run.
 */
async function lookAt(atMs: number): Promise<void> {
  const due = nextTimerAt();
  if (due !== undefined && due > Date.now() + (atMs - virtualNow())) vi.advanceTimersByTime(atMs - virtualNow());
  else await until(atMs);
}

function pick(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

async function scenario(n: number): Promise<Outcome> {
  freshVirtualTime();
  const random = streamFor(`scenario-${n}`);
  const names = namesFor(random);
  const s: Settings = {
    intervalMs: pick(random, 200, 800),
    maxChangesPerInterval: pick(random, 1, 4),
    lagMs: 0,
    baseBackoffMs: pick(random, 20, 150),
    maxBackoffMs: 0,
  };
  s.lagMs = pick(random, 0, 2 * s.intervalMs);
  s.maxBackoffMs = s.baseBackoffMs * pick(random, 2, 16);
  const someOf = (version: string): [string, string][] => names.filter(() => random() < 0.5).map((name) => [name, random() < 0.3 ? `${version}-canary` : version]);
  const fake = new FakeApi(someOf('v0'), someOf('v1'), s);
  const failureRate = 0.2 + random() * 0.4;
  const errors = errorsOfEveryKind();
  let faulty = true;
  fake.reply = () => {
    const delayMs = pick(random, 1, MAX_DELAY);
    if (!faulty || random() >= failureRate) return { delayMs };
    return { delayMs, fail: { error: errors[pick(random, 0, errors.length - 1)]!.error, applied: random() < 0.5 } };
  };
  fake.snapshotAt = (callMs) => callMs - random() * s.lagMs;
  const reconciler = startReconciler(fake, s);
  const faultsEndAt = pick(random, 3, 8) * s.intervalMs;
  // Desired changes, drift and notifications (some lost, some duplicated) while the faults last.
  let t = 0;
  while (t < faultsEndAt) {
    t += pick(random, 50, s.intervalMs);
    await flushMicrotasks(); // what notify() may have started
    await lookAt(Math.min(t, faultsEndAt));
    const r = random();
    if (r < 0.25) fake.setDesired(someOf(`v${pick(random, 1, 3)}`));
    else if (r < 0.4) {
      const name = names[pick(random, 0, names.length - 1)]!;
      fake.drift(name, random() < 0.5 ? undefined : 'v-drift');
    }
    const notifications = r < 0.4 ? pick(random, 0, 2) : random() < 0.2 ? 1 : 0;
    for (let i = 0; i < notifications; i++) reconciler.notify();
  }
  faulty = false;
  // The last backoff wait, then one pass for each batch of changes, each waiting out the lag.
  const changes = names.length + 2;
  const batches = Math.ceil(changes / s.maxChangesPerInterval);
  const passMs = (s.maxChangesPerInterval + 1) * MAX_DELAY;
  const boundMs = s.maxBackoffMs + MAX_DELAY * 2 + (batches + 2) * (s.intervalMs + passMs) + 2 * (s.lagMs + s.intervalMs + passMs);
  let convergedAt: number | undefined;
  // Looked at every 50 virtual ms (the polling was most of the suite's time at every 20 ms), the
  // last look exactly at the bound.
  const step = 50;
  while (virtualNow() < faultsEndAt + boundMs && convergedAt === undefined) {
    await lookAt(Math.min(virtualNow() + step, faultsEndAt + boundMs));
    if (fake.converged()) convergedAt = virtualNow();
  }
  // Once converged, it stays so.
  await until(virtualNow() + 3 * s.intervalMs + s.lagMs);
  stop(reconciler);
  const text = `scenario ${n} (${settingsText(s)}; calls fail at rate ${failureRate.toFixed(2)} until ${faultsEndAt} ms)`;
  return { fake, s, faultsEndAt, boundMs, convergedAt, text };
}

const outcomes: Outcome[] = [];
async function allScenarios(): Promise<Outcome[]> {
  if (outcomes.length === 0) for (let n = 1; n <= SCENARIOS; n++) outcomes.push(await scenario(n));
  return outcomes;
}

test(`under failing, lagging calls (${SCENARIOS} seeded scenarios): never over the rate limit, never a change of a name before its last one could show, never a desired name deleted`, async () => {
  for (const o of await allScenarios()) checkSafe(o.fake, o.text);
});

test(`after the faults end, converges to the desired state within a bound and stays there (${SCENARIOS} seeded scenarios)`, async () => {
  let worst = 0;
  for (const o of await allScenarios()) {
    check(o.convergedAt !== undefined, () => `${o.text}: not converged ${o.boundMs} ms after the faults ended at ${o.faultsEndAt} ms (the bound: maxBackoffMs, then a pass per maxChangesPerInterval changes, each waiting out lagMs); still wrong: ${o.fake.difference()}; calls after the faults ended: ${callsText(o.fake, o.faultsEndAt)}`);
    check(o.fake.converged(), () => `${o.text}: converged at ${o.convergedAt} ms but left it later: ${o.fake.difference()}; calls after it: ${callsText(o.fake, o.convergedAt)}`);
    worst = Math.max(worst, (o.convergedAt! - o.faultsEndAt) / o.boundMs);
  }
  figure('worst time to converge, as a share of the bound', Number(worst.toFixed(2)), { limit: 1, better: 'lower' });
  check(show(worst) !== 'NaN', () => '(learn-ds bug) no scenario ran');
});
