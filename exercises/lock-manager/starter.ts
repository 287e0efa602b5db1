/** The two kinds of lock: many transactions may share a key, one may hold it exclusively. */
export type LockMode = 'shared' | 'exclusive';

/** The reason a deadlock victim's waiting `acquire` rejects (ready to use as it is). */
export class DeadlockError extends Error {
  override name = 'DeadlockError';
  /** The transaction that was aborted. */
  readonly txn: string;

  constructor(txn: string) {
    super(`transaction ${txn} was aborted to break a deadlock`);
    this.txn = txn;
  }
}

/**
 * Shared and exclusive locks per key for strict two-phase locking: locks are held until the
 * transaction ends with `releaseAll`; requests wait first come, first served; a deadlock aborts
 * the youngest transaction on the cycle.
 */
export class LockManager {
  /**
   * Resolves once `txn` holds `key` in `mode` (an exclusive lock covers a shared one); waits while
   * the lock cannot be granted; rejects with a `DeadlockError` if `txn` is chosen as a deadlock's victim.
   */
  acquire(txn: string, key: string, mode: LockMode): Promise<void> {
    throw new Error('TODO: write acquire');
  }

  /** Ends `txn` (commit or abort): releases every lock it holds and grants what can be granted. */
  releaseAll(txn: string): void {
    throw new Error('TODO: write releaseAll');
  }
}
