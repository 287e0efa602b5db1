// Random concurrent workloads: transactions (each a few reads and writes, then a commit or an abort)
// interleaved by a schedule, run on the learner's store. The run records the calls as a learner
// would read them, the history the transaction checker judges, and, when asked, the first answer
// that differs from the rules (tests/model.ts).
import fc from 'fast-check';
import { show } from 'learn-ds/harness';
import type { Transaction, TransactionHistory, TxnOp, TxnValue } from 'learn-ds/sim';
import type { SnapshotStore, TxnId } from 'learn-ds/subject/mvcc-snapshot-isolation';
import { SnapshotModel } from './model.ts';

/** Keys of several shapes: plain, non-ASCII, and one that breaks a store kept in a plain object. */
export const KEYS = ['x', 'y', 'Zoë', '__proto__'] as const;

export interface Script {
  readonly steps: ReadonlyArray<{ readonly key: string; readonly write: boolean }>;
  readonly end: 'commit' | 'abort';
}

export interface Workload {
  readonly scripts: readonly Script[];
  /** Which live transaction takes the next step: schedule[i] modulo how many are live. */
  readonly schedule: readonly number[];
}

export function workloadArb(options: { maxTransactions?: number; maxSteps?: number } = {}): fc.Arbitrary<Workload> {
  const step = fc.record({ key: fc.constantFrom(...KEYS), write: fc.boolean() });
  const script = fc.record({
    steps: fc.array(step, { minLength: 1, maxLength: options.maxSteps ?? 4 }),
    end: fc.nat(4).map((n): Script['end'] => (n === 0 ? 'abort' : 'commit')),
  });
  return fc.record({
    scripts: fc.array(script, { minLength: 2, maxLength: options.maxTransactions ?? 7 }),
    schedule: fc.array(fc.nat(12), { minLength: 1, maxLength: 40 }),
  });
}

export interface WorkloadRun {
  /** Committed transactions in commit order, then the aborted ones. */
  readonly history: TransactionHistory;
  /** The calls made and what they returned, one line each. */
  readonly log: readonly string[];
  /** The first answer that differs from the rules, when the run compared them. */
  readonly mismatch: string | undefined;
}

/**
 * Runs a workload on a fresh store. Every write writes a value never written before (numbers and
 * strings in turn), so that a read names the write it saw. With `compare`, stops at the first answer
 * that differs from the rules: a read, a commit's result, or versionCount() after any call.
 */
export function runWorkload(store: SnapshotStore, workload: Workload, compare: boolean): WorkloadRun {
  const model = new SnapshotModel();
  const log: string[] = [];
  const cursor = workload.scripts.map(() => -1);
  const ids: TxnId[] = [];
  const ops: TxnOp[][] = workload.scripts.map(() => []);
  const status: Array<'committed' | 'aborted' | undefined> = workload.scripts.map(() => undefined);
  const commitOrder: number[] = [];
  let begun = 0;
  const labelOf: number[] = workload.scripts.map(() => 0);
  let fresh = 0;
  let mismatch: string | undefined;

  const countAfter = (what: string) => {
    if (!compare || mismatch) return;
    const count = store.versionCount();
    const expected = model.versionsKept();
    if (count !== expected.count) {
      mismatch = `after ${what}, versionCount() returned ${show(count)}; expected ${expected.count}: garbage collection keeps ${expected.why}`;
    }
  };

  for (let tick = 0; !mismatch && status.some((s) => s === undefined); tick++) {
    const live = status.map((s, i) => (s === undefined ? i : -1)).filter((i) => i >= 0);
    const i = live[workload.schedule[tick % workload.schedule.length]! % live.length]!;
    const script = workload.scripts[i]!;
    if (cursor[i] === -1) {
      labelOf[i] = ++begun;
      const label = `T${labelOf[i]}`;
      ids[i] = store.begin();
      model.begin(label);
      cursor[i] = 0;
      log.push(`${label} = begin()`);
      countAfter(`${label} began`);
      continue;
    }
    const label = `T${labelOf[i]}`;
    const step = script.steps[cursor[i]!];
    if (step && step.write) {
      cursor[i]!++;
      fresh++;
      const value = fresh % 2 === 0 ? fresh : `v${fresh}`;
      store.write(ids[i]!, step.key, value);
      model.write(label, step.key, value);
      ops[i]!.push({ kind: 'write', key: step.key, value });
      log.push(`${label} write ${show(step.key)} = ${show(value)}`);
      countAfter(`${label} wrote ${show(step.key)}`);
    } else if (step) {
      cursor[i]!++;
      const value = store.read(ids[i]!, step.key);
      ops[i]!.push({ kind: 'read', key: step.key, value: value as TxnValue });
      log.push(`${label} read ${show(step.key)} → ${show(value)}`);
      if (compare) {
        const expected = model.read(label, step.key);
        if (!Object.is(value, expected.value)) {
          mismatch = `${label} read ${show(step.key)} and got ${show(value)}; expected ${show(expected.value)}: ${expected.because}`;
        }
      }
      countAfter(`${label} read ${show(step.key)}`);
    } else if (script.end === 'commit') {
      const ok = store.commit(ids[i]!);
      const expected = model.commit(label);
      status[i] = ok === true ? 'committed' : 'aborted';
      if (ok === true) commitOrder.push(i);
      log.push(`${label} commit() → ${show(ok)}`);
      if (compare && typeof ok !== 'boolean') {
        mismatch = `${label}'s commit() returned ${show(ok)}; expected true or false`;
      } else if (compare && ok !== expected.ok) {
        mismatch = expected.ok
          ? `${label}'s commit() returned false; expected true: no transaction that committed after ${label} began wrote a key ${label} wrote`
          : `${label}'s commit() returned true; expected false: ${expected.winner} committed a write of ${show(expected.key)} after ${label} began, and the first committer wins`;
      }
      countAfter(`${label}'s commit`);
    } else {
      store.abort(ids[i]!);
      model.abort(label);
      status[i] = 'aborted';
      log.push(`${label} abort()`);
      countAfter(`${label}'s abort`);
    }
  }

  const txn = (i: number): Transaction => ({ id: labelOf[i]!, status: status[i] ?? 'aborted', ops: ops[i]! });
  const aborted = status.map((s, i) => (s === 'committed' ? -1 : i)).filter((i) => i >= 0);
  return { history: { transactions: [...commitOrder.map(txn), ...aborted.map(txn)] }, log, mismatch };
}

/** The calls of a run, for a failure's detail (a long run is cut in the middle). */
export function describeRun(log: readonly string[]): string {
  const lines = log.length <= 60 ? log : [...log.slice(0, 30), `… ${log.length - 50} calls …`, ...log.slice(-20)];
  return ['the calls, in order:', ...lines.map((l) => `  ${l}`)].join('\n');
}
