/** A transaction's id, as begin() returns it (any numbering you like). */
export type TxnId = number;

export interface SnapshotStore {
  /** Starts a transaction; its snapshot holds exactly the transactions committed before this call. */
  begin(): TxnId;
  /** The transaction's own latest write of `key`, else the value in its snapshot; undefined if none. */
  read(txn: TxnId, key: string): unknown;
  /** Records a write: the transaction sees it at once, the others only once it has committed. */
  write(txn: TxnId, key: string, value: unknown): void;
  /**
   * Returns true and installs the transaction's writes, or returns false and installs nothing if a
   * transaction that committed after this one began wrote one of its keys (first committer wins).
   */
  commit(txn: TxnId): boolean;
  /** Ends the transaction, discarding its writes; does nothing if it has already ended. */
  abort(txn: TxnId): void;
  /** How many committed versions the store keeps, over all keys (after garbage collection). */
  versionCount(): number;
}

/** A new, empty multi-version store with snapshot isolation. */
export function createStore(): SnapshotStore {
  throw new Error('TODO: createStore');
}
