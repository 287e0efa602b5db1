/**
 * A multi-version key-value store with snapshot isolation.
 *
 * Every commit gets the next number of a counter (its commit timestamp) and installs one version per
 * key it wrote, stamped with it. A transaction remembers the counter at begin (its snapshot): it
 * sees the versions stamped at or before it, and its own writes, which it keeps to itself until
 * commit. First committer wins: a commit fails if a transaction that committed after this one
 * began wrote one of its keys. After every commit and abort, garbage collection drops each version
 * that neither the newest state nor any active transaction's snapshot can read.
 */

export type TxnId = number;

export interface SnapshotStore {
  /** Starts a transaction; it sees exactly the transactions committed before this call. */
  begin(): TxnId;
  /** The value of `key` in the transaction's snapshot, or its own latest write of it; undefined if none. */
  read(txn: TxnId, key: string): unknown;
  /** Records a write, seen by this transaction at once and by others only after it commits. */
  write(txn: TxnId, key: string, value: unknown): void;
  /** Commits and returns true, or aborts and returns false when first committer wins says so. */
  commit(txn: TxnId): boolean;
  /** Ends the transaction, discarding its writes; nothing if it has already ended. */
  abort(txn: TxnId): void;
  /** How many committed versions the store keeps, over all keys. */
  versionCount(): number;
}

interface Version {
  readonly value: unknown;
  readonly committedAt: number;
}

interface Txn {
  readonly snapshot: number;
  readonly writes: Map<string, unknown>;
}

export function createStore(): SnapshotStore {
  /** Per key, its versions, oldest first. */
  const versions = new Map<string, Version[]>();
  /** Commit timestamps and the keys each commit wrote, for the first-committer-wins check. */
  const commits: Array<{ committedAt: number; keys: ReadonlySet<string> }> = [];
  const active = new Map<TxnId, Txn>();
  let clock = 0;
  let nextId = 1;

  const live = (txn: TxnId, action: string): Txn => {
    const t = active.get(txn);
    if (!t) throw new Error(`cannot ${action}: transaction ${txn} is not active (it ended, or never began)`);
    return t;
  };

  /** The version a snapshot reads: the newest one committed at or before it. */
  const visibleAt = (chain: readonly Version[], snapshot: number): Version | undefined => {
    for (let i = chain.length - 1; i >= 0; i--) if (chain[i]!.committedAt <= snapshot) return chain[i];
    return undefined;
  };

  const collectGarbage = (): void => {
    const snapshots = [...active.values()].map((t) => t.snapshot);
    for (const [key, chain] of versions) {
      const keep = new Set<Version>([chain[chain.length - 1]!]);
      for (const s of snapshots) {
        const v = visibleAt(chain, s);
        if (v) keep.add(v);
      }
      versions.set(key, chain.filter((v) => keep.has(v)));
    }
    // Commits that no active transaction began before can no longer conflict with anyone.
    const oldest = Math.min(...snapshots);
    while (commits.length > 0 && commits[0]!.committedAt <= oldest) commits.shift();
  };

  return {
    begin() {
      const id = nextId++;
      active.set(id, { snapshot: clock, writes: new Map() });
      return id;
    },

    read(txn, key) {
      const t = live(txn, `read ${JSON.stringify(key)}`);
      if (t.writes.has(key)) return t.writes.get(key);
      const chain = versions.get(key);
      return chain ? visibleAt(chain, t.snapshot)?.value : undefined;
    },

    write(txn, key, value) {
      live(txn, `write ${JSON.stringify(key)}`).writes.set(key, value);
    },

    commit(txn) {
      const t = live(txn, 'commit');
      active.delete(txn);
      const conflict = commits.some((c) => c.committedAt > t.snapshot && [...t.writes.keys()].some((k) => c.keys.has(k)));
      if (!conflict && t.writes.size > 0) {
        const committedAt = ++clock;
        for (const [key, value] of t.writes) {
          const chain = versions.get(key) ?? [];
          chain.push({ value, committedAt });
          versions.set(key, chain);
        }
        commits.push({ committedAt, keys: new Set(t.writes.keys()) });
      }
      collectGarbage();
      return !conflict;
    },

    abort(txn) {
      if (active.delete(txn)) collectGarbage();
    },

    versionCount() {
      let count = 0;
      for (const chain of versions.values()) count += chain.length;
      return count;
    },
  };
}
