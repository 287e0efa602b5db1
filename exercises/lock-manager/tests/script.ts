// Scripted scenarios: calls on the learner's LockManager, one after another, each acquire tracked
// (waiting, granted, aborted by a DeadlockError, or rejected with anything else), and checks that
// quote the script so far when they fail.
import { check, describeThrown, flushMicrotasks, show } from 'learn-ds/harness';
import { DeadlockError, LockManager, type LockMode } from 'learn-ds/subject/lock-manager';

export type Status = 'waiting' | 'granted' | 'aborted' | 'failed';

export interface Tracked {
  readonly txn: string;
  readonly key: string;
  readonly mode: LockMode;
  status: Status;
  /** What a rejection that is not a DeadlockError was. */
  problem?: string;
  /** The DeadlockError's `txn` field, when it has one. */
  victimField?: unknown;
}

export function isDeadlockError(error: unknown): boolean {
  return error instanceof DeadlockError || (error instanceof Error && error.name === 'DeadlockError');
}

const call = (r: Tracked) => `acquire(${show(r.txn)}, ${show(r.key)}, ${show(r.mode)})`;

/** A scripted run on one LockManager. Calls go through it so that failures can quote them. */
export class Script {
  readonly manager = new LockManager();
  readonly #lines: string[] = [];
  readonly #requests: Tracked[] = [];

  /** Calls acquire and tracks its promise; `await script.settled()` before reading its status. */
  acquire(txn: string, key: string, mode: LockMode): Tracked {
    const r: Tracked = { txn, key, mode, status: 'waiting' };
    this.#requests.push(r);
    this.#lines.push(call(r));
    let promise: Promise<void>;
    try {
      promise = this.manager.acquire(txn, key, mode);
    } catch (error) {
      r.status = 'failed';
      r.problem = `threw ${describeThrown(error)} instead of returning a promise`;
      return r;
    }
    Promise.resolve(promise).then(
      () => {
        r.status = 'granted';
      },
      (error: unknown) => {
        if (isDeadlockError(error)) {
          r.status = 'aborted';
          r.victimField = (error as { txn?: unknown }).txn;
        } else {
          r.status = 'failed';
          r.problem = `rejected with ${describeThrown(error)}`;
        }
      },
    );
    return r;
  }

  releaseAll(txn: string): void {
    this.#lines.push(`releaseAll(${show(txn)})`);
    this.manager.releaseAll(txn);
  }

  /** Lets every promise callback run, with no time passing: grants and aborts show up. */
  async settled(): Promise<void> {
    await flushMicrotasks();
  }

  /** The script so far, each acquire with what it came to. */
  transcript(): string {
    let i = 0;
    return this.#lines
      .map((line) => {
        if (!line.startsWith('acquire(')) return `  ${line}`;
        const r = this.#requests[i++]!;
        return `  ${line}  → ${describe(r)}`;
      })
      .join('\n');
  }

  /** Fails unless `r` came to `status`; `why` states the rule. */
  expect(r: Tracked, status: Status, why: string): void {
    if (r.status === 'failed') {
      check(false, () => `${call(r)} ${r.problem ?? 'failed'}; expected it ${word(status)}: ${why}`, `the script so far:\n${this.transcript()}`);
    }
    check(
      r.status === status,
      () => `${call(r)} is ${describe(r)} after the calls below; expected it ${word(status)}: ${why}`,
      `the script so far:\n${this.transcript()}`,
    );
  }
}

function word(status: Status): string {
  switch (status) {
    case 'waiting':
      return 'still waiting';
    case 'granted':
      return 'granted (resolved)';
    case 'aborted':
      return 'rejected with a DeadlockError';
    case 'failed':
      return 'rejected';
  }
}

export function describe(r: Tracked): string {
  switch (r.status) {
    case 'waiting':
      return 'still waiting';
    case 'granted':
      return 'granted';
    case 'aborted':
      return 'rejected with a DeadlockError';
    case 'failed':
      return r.problem ?? 'rejected';
  }
}
