// Concurrent transactions under the learner's locks, in virtual time: each transaction reads and
// writes a store that the test owns (reads under a shared lock, writes under an exclusive one,
// buffered and installed at commit), commits with releaseAll, and tries again under the same id
// after a DeadlockError. Random pauses between steps give a seeded interleaving.
import { describeThrown, settle, show, virtualNow } from 'learn-ds/harness';
import { LockManager, type LockMode } from 'learn-ds/subject/lock-manager';
import { idShapes, KEYS, shuffled } from './ids.ts';
import { isDeadlockError } from './script.ts';
import type { Transaction, TxnOp } from 'learn-ds/sim';
import { LockModel, type ModelRequest } from './model.ts';

export interface Plan {
  readonly id: string;
  readonly ops: ReadonlyArray<{ readonly kind: 'read' | 'write'; readonly key: string }>;
}

export interface Scenario {
  readonly shape: string;
  readonly plans: readonly Plan[];
}

export interface Outcome {
  /** Every attempt, committed or aborted, in the order it ended (so committed ones in commit order). */
  readonly history: Transaction[];
  /** How many attempts committed. */
  readonly commits: number;
  /** Two transactions holding conflicting locks at once, as observed. */
  readonly conflicts: string[];
  /** Transactions that never finished, with what they waited for. */
  readonly stuck: string[];
  /** Rejections that were not a DeadlockError, or throws. */
  readonly errors: string[];
  readonly aborts: number;
  /** What happened, in order, for a failure's detail. */
  readonly events: string[];
  /** The first grant or abort that differs from the statement's rules (a model fed the same calls). */
  readonly divergence: string | undefined;
  /** How many events had happened at the divergence. */
  readonly divergedAfter: number;
}

/** Gives up on a transaction aborted this many times in a row (a correct manager never gets close). */
const MAX_ATTEMPTS = 40;

/** A random scenario: 4 to 8 transactions over 2 to 4 hot keys, many of them reading then writing a key. */
export function randomScenario(random: () => number): Scenario {
  const shapes = idShapes(random);
  const { shape, ids } = shapes[Math.floor(random() * shapes.length)]!;
  const keys = shuffled(KEYS, random).slice(0, 2 + Math.floor(random() * 3));
  const count = 4 + Math.floor(random() * 5);
  const pick = () => keys[Math.floor(random() * keys.length)]!;
  const plans = shuffled(ids, random)
    .slice(0, count)
    .map((id) => {
      const ops: Array<{ kind: 'read' | 'write'; key: string }> = [];
      const steps = 1 + Math.floor(random() * 3);
      for (let i = 0; i < steps; i++) {
        const key = pick();
        const r = random();
        if (r < 0.4) ops.push({ kind: 'read', key }, { kind: 'write', key }); // an upgrade
        else ops.push({ kind: r < 0.7 ? 'read' : 'write', key });
      }
      return { id, ops };
    });
  return { shape, plans };
}

const conflicting = (a: LockMode, b: LockMode) => a === 'exclusive' || b === 'exclusive';

/** Runs a scenario to its end in virtual time (call useVirtualTime() first). */
export async function runScenario(scenario: Scenario, random: () => number): Promise<Outcome> {
  const manager = new LockManager();
  const store = new Map<string, string>();
  const history: Transaction[] = [];
  let commits = 0;
  const conflicts: string[] = [];
  const errors: string[] = [];
  const events: string[] = [];
  let aborts = 0;
  let turn = 0;
  /** Locks as the transactions see them: granted when acquire resolved, gone at releaseAll or a DeadlockError. */
  const view = new Map<string, Map<string, LockMode>>();
  const waiting = new Map<string, { key: string; mode: LockMode }>();
  /** Conflicts with a transaction that was waiting: fine if it turns out to be a victim aborted in the same turn. */
  const suspects: Array<{ turn: number; holder: string; text: string }> = [];
  const abortedAt = new Map<string, number[]>();

  // The rules' model, fed the same calls; each tracked request remembers the turn the model decided it.
  const model = new LockModel();
  const tracked: Array<{ call: string; expected: ModelRequest; decidedAt?: number; observed: boolean }> = [];
  let divergence: string | undefined;
  let divergedAfter = 0;
  const diverge = (text: string) => {
    if (divergence !== undefined) return;
    divergence = text;
    divergedAfter = events.length;
  };
  const noteDecisions = () => {
    for (const t of tracked) if (t.decidedAt === undefined && t.expected.status !== 'waiting') t.decidedAt = turn;
  };
  const checkOverdue = () => {
    for (const t of tracked) {
      if (!t.observed && t.decidedAt !== undefined && t.decidedAt < turn) {
        diverge(`${t.call} was still waiting, but by the rules it was ${t.expected.status === 'granted' ? 'granted' : 'aborted with a DeadlockError'} earlier: ${t.expected.why}`);
        t.observed = true;
      }
    }
  };
  const observe = (entry: (typeof tracked)[number], status: 'granted' | 'aborted') => {
    entry.observed = true;
    if (divergence !== undefined) return;
    if (entry.expected.status === 'waiting') {
      diverge(`${entry.call} was ${status === 'granted' ? 'granted' : 'rejected with a DeadlockError'}, but by the rules it should still wait`);
    } else if (entry.expected.status !== status) {
      diverge(`${entry.call} was ${status === 'granted' ? 'granted' : 'rejected with a DeadlockError'}, but by the rules it was ${entry.expected.status === 'granted' ? 'granted' : 'aborted'}: ${entry.expected.why}`);
    } else if (entry.decidedAt !== turn) {
      diverge(`${entry.call} was ${status} later than the rules say: they decide it during the call that makes it possible, with no time passing (${entry.expected.why})`);
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) =>
      setTimeout(() => {
        turn++; // one timer's callbacks and the promise callbacks they trigger form one turn
        checkOverdue();
        resolve();
      }, ms),
    );
  const pause = () => sleep(Math.floor(random() * 4));
  const note = (text: string) => events.push(`${String(virtualNow()).padStart(5)} ms  ${text}`);

  const dropLocks = (id: string) => {
    for (const [key, holders] of view) {
      holders.delete(id);
      if (holders.size === 0) view.delete(key);
    }
  };

  const granted = (id: string, key: string, mode: LockMode) => {
    const holders = view.get(key) ?? new Map<string, LockMode>();
    view.set(key, holders);
    for (const [other, held] of holders) {
      if (other === id || !conflicting(mode, held)) continue;
      const text = `${show(id)} was granted ${mode} on ${show(key)} while ${show(other)} held it ${held}`;
      if (waiting.has(other)) suspects.push({ turn, holder: other, text });
      else conflicts.push(text);
    }
    if (holders.get(id) !== 'exclusive') holders.set(id, mode);
  };

  const runOne = async (plan: Plan): Promise<void> => {
    await pause();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const writes = new Map<string, string>();
      const ops: TxnOp[] = [];
      const name = attempt === 1 ? plan.id : `${plan.id} (attempt ${attempt})`;
      try {
        for (const op of plan.ops) {
          await pause();
          const mode: LockMode = op.kind === 'read' ? 'shared' : 'exclusive';
          note(`acquire(${show(plan.id)}, ${show(op.key)}, ${show(mode)})`);
          waiting.set(plan.id, { key: op.key, mode });
          // Once the manager and the rules have parted ways, the model's state means nothing: stop feeding it.
          const entry = divergence === undefined
            ? { call: `acquire(${show(plan.id)}, ${show(op.key)}, ${show(mode)})`, expected: model.acquire(plan.id, op.key, mode), observed: false }
            : undefined;
          if (entry) tracked.push(entry);
          noteDecisions();
          try {
            await manager.acquire(plan.id, op.key, mode);
          } catch (error) {
            if (entry && isDeadlockError(error)) observe(entry, 'aborted');
            throw error;
          }
          if (entry) observe(entry, 'granted');
          waiting.delete(plan.id);
          note(`  ${show(plan.id)} granted ${mode} on ${show(op.key)}`);
          granted(plan.id, op.key, mode);
          if (op.kind === 'read') {
            ops.push({ kind: 'read', key: op.key, value: writes.has(op.key) ? writes.get(op.key) : store.get(op.key) });
          } else {
            const value = `${plan.id}#${attempt}.${ops.length}`;
            writes.set(op.key, value);
            ops.push({ kind: 'write', key: op.key, value });
          }
        }
        await pause();
        for (const [key, value] of writes) store.set(key, value);
        history.push({ id: name, status: 'committed', ops });
        commits++;
        note(`${show(plan.id)} commits: releaseAll(${show(plan.id)})`);
        dropLocks(plan.id);
        manager.releaseAll(plan.id);
        if (divergence === undefined) model.releaseAll(plan.id);
        noteDecisions();
        return;
      } catch (error) {
        waiting.delete(plan.id);
        if (!isDeadlockError(error)) {
          errors.push(`an acquire of ${show(plan.id)} failed with ${describeThrown(error)}`);
          dropLocks(plan.id);
          return;
        }
        aborts++;
        history.push({ id: name, status: 'aborted', ops });
        abortedAt.set(plan.id, [...(abortedAt.get(plan.id) ?? []), turn]);
        note(`  ${show(plan.id)} aborted by a DeadlockError`);
        dropLocks(plan.id);
        // The application's own clean-up comes later, or not at all: the manager has already released.
        await pause();
        if (random() < 0.5) {
          manager.releaseAll(plan.id);
          if (divergence === undefined) model.releaseAll(plan.id);
          noteDecisions();
        }
        await pause();
      }
    }
    errors.push(`${show(plan.id)} was aborted ${MAX_ATTEMPTS} times in a row`);
  };

  const runs = scenario.plans.map((plan) => runOne(plan));
  const done = await settle(Promise.all(runs), 10_000_000);
  const stuck: string[] = [];
  if (done.status === 'hung') {
    for (const [id, request] of waiting) {
      const holders = [...(view.get(request.key) ?? new Map<string, LockMode>())].filter(([other]) => other !== id);
      stuck.push(
        `acquire(${show(id)}, ${show(request.key)}, ${show(request.mode)}) never settled; ` +
          (holders.length === 0
            ? 'nobody held the key any more'
            : `the key was held by ${holders.map(([other, mode]) => `${show(other)} (${mode}${waiting.has(other) ? `, itself waiting for ${show(waiting.get(other)!.key)}` : ''})`).join(', ')}`),
      );
    }
  } else if (done.status === 'rejected') {
    errors.push(`a transaction failed: ${describeThrown(done.reason)}`);
  }
  checkOverdue();
  for (const s of suspects) {
    if (!(abortedAt.get(s.holder) ?? []).includes(s.turn)) conflicts.push(s.text);
  }
  return { history, commits, conflicts, stuck, errors, aborts, events, divergence, divergedAfter };
}

/** The scenario as a reader would write it. */
export function describeScenario(scenario: Scenario): string {
  return scenario.plans
    .map((p) => `  ${show(p.id)}: ${p.ops.map((op) => `${op.kind === 'read' ? 'read' : 'write'} ${show(op.key)}`).join(', ')}`)
    .join('\n');
}

/** The last events of a run, for a failure's detail. */
export function lastEvents(outcome: Outcome, count = 40): string {
  const shown = outcome.events.slice(-count);
  const cut = outcome.events.length - shown.length;
  return `${cut > 0 ? `  … ${cut} earlier events\n` : ''}${shown.join('\n')}`;
}
