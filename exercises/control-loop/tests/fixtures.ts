// Building a reconciler or a data plane for one check, and running virtual time to a moment.
import { advance, check, describeThrown, fail, show, virtualNow } from 'learn-ds/harness';
import { createReconciler, type Reconciler, type ReconcilerOptions } from 'learn-ds/subject/control-loop';
import type { FakeApi } from './api.ts';

export type Settings = Omit<ReconcilerOptions, 'api' | 'desired'>;

export function settingsText(s: Settings): string {
  return `intervalMs = ${s.intervalMs}, maxChangesPerInterval = ${s.maxChangesPerInterval}, lagMs = ${s.lagMs}, baseBackoffMs = ${s.baseBackoffMs}, maxBackoffMs = ${s.maxBackoffMs}`;
}

export function startReconciler(fake: FakeApi, s: Settings): Reconciler {
  let reconciler: Reconciler;
  try {
    reconciler = createReconciler({ api: fake.api, desired: fake.desired, ...s });
  } catch (error) {
    return fail(`createReconciler({ api, desired, ${settingsText(s)} }) threw ${describeThrown(error)}; these options are valid`);
  }
  try {
    reconciler.start();
  } catch (error) {
    fail(`start() threw ${describeThrown(error)}`);
  }
  return reconciler;
}

/** Advances virtual time to `atMs` (since the test began at 0). */
export async function until(atMs: number): Promise<void> {
  const ms = atMs - virtualNow();
  if (ms < 0) throw new Error(`(learn-ds bug) time ${atMs} is in the past (now ${virtualNow()})`);
  if (ms > 0) await advance(ms);
}

/** Fails with the first safety rule the calls broke. */
export function checkSafe(fake: FakeApi, what: string): void {
  check(fake.violations.length === 0, () => `${what}: ${fake.violations[0]}${fake.violations.length > 1 ? ` (and ${fake.violations.length - 1} more broken rules)` : ''}`);
}

/** The calls, for a message. */
export function callsText(fake: FakeApi, from = 0): string {
  const calls = fake.calls.filter((c) => c.startMs >= from).slice(0, 14);
  return calls.map((c) => `${c.kind}${c.name === undefined ? '' : `(${show(c.name)})`} at ${c.startMs}${c.failed ? ' (failed)' : ''}`).join(', ') || 'none';
}

export function stop(reconciler: Reconciler): void {
  try {
    reconciler.stop();
  } catch (error) {
    fail(`stop() threw ${describeThrown(error)}`);
  }
}
