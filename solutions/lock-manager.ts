/**
 * A lock manager for strict two-phase locking: shared and exclusive locks per key, held until the
 * transaction ends (releaseAll), upgrades from shared to exclusive, first-come first-served
 * queues, and deadlock detection on the wait-for graph that aborts the youngest transaction on a
 * cycle, one victim at a time, until no cycle is left.
 */

export type LockMode = 'shared' | 'exclusive';

/** The reason a deadlock victim's waiting acquire rejects. */
export class DeadlockError extends Error {
  override name = 'DeadlockError';
  /** The transaction that was aborted. */
  readonly txn: string;

  constructor(txn: string) {
    super(`transaction ${txn} was aborted to break a deadlock`);
    this.txn = txn;
  }
}

interface Request {
  readonly txn: Txn;
  readonly key: string;
  readonly mode: LockMode;
  readonly resolve: () => void;
  readonly reject: (error: DeadlockError) => void;
}

interface Txn {
  readonly id: string;
  /** Its place in the order transactions started: the larger, the younger. */
  readonly start: number;
  readonly held: Map<string, LockMode>;
  waiting: Request | undefined;
}

interface Lock {
  readonly holders: Map<Txn, LockMode>;
  /** Requests waiting, served from the head; an upgrade waits ahead of all the others. */
  readonly queue: Request[];
}

const conflicts = (a: LockMode, b: LockMode): boolean => a === 'exclusive' || b === 'exclusive';

export class LockManager {
  readonly #txns = new Map<string, Txn>();
  readonly #locks = new Map<string, Lock>();
  #started = 0;

  /** Resolves once `txn` holds `key` in `mode` (or stronger); rejects with a DeadlockError if aborted. */
  acquire(txn: string, key: string, mode: LockMode): Promise<void> {
    const t = this.#txn(txn);
    const lock = this.#lock(key);
    const held = t.held.get(key);
    if (held === 'exclusive' || held === mode) return Promise.resolve();
    const upgrade = held === 'shared';
    const free = upgrade ? lock.holders.size === 1 : lock.queue.length === 0 && this.#compatible(lock, t, mode);
    if (free) {
      this.#grant(lock, t, key, mode);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const request: Request = { txn: t, key, mode, resolve, reject };
      if (upgrade) lock.queue.unshift(request);
      else lock.queue.push(request);
      t.waiting = request;
      this.#breakDeadlocks();
    });
  }

  /** Ends `txn` (commit or abort): releases every lock it holds and serves the queues. */
  releaseAll(txn: string): void {
    const t = this.#txns.get(txn);
    if (t === undefined) return;
    this.#end(t);
  }

  #txn(id: string): Txn {
    let t = this.#txns.get(id);
    if (t === undefined) {
      t = { id, start: this.#started++, held: new Map(), waiting: undefined };
      this.#txns.set(id, t);
    }
    return t;
  }

  #lock(key: string): Lock {
    let lock = this.#locks.get(key);
    if (lock === undefined) {
      lock = { holders: new Map(), queue: [] };
      this.#locks.set(key, lock);
    }
    return lock;
  }

  /** Whether `mode` agrees with every lock that transactions other than `t` hold. */
  #compatible(lock: Lock, t: Txn, mode: LockMode): boolean {
    for (const [holder, held] of lock.holders) if (holder !== t && conflicts(mode, held)) return false;
    return true;
  }

  #grant(lock: Lock, t: Txn, key: string, mode: LockMode): void {
    lock.holders.set(t, mode);
    t.held.set(key, mode);
  }

  /** Grants from the head of the queue, stopping at the first request that cannot be granted. */
  #serve(key: string): void {
    const lock = this.#locks.get(key);
    if (lock === undefined) return;
    while (lock.queue.length > 0) {
      const head = lock.queue[0]!;
      if (!this.#compatible(lock, head.txn, head.mode)) break;
      lock.queue.shift();
      head.txn.waiting = undefined;
      this.#grant(lock, head.txn, key, head.mode);
      head.resolve();
    }
    if (lock.holders.size === 0 && lock.queue.length === 0) this.#locks.delete(key);
  }

  /** The transactions `t`'s waiting request waits for: conflicting holders and conflicting requests ahead. */
  #waitsFor(t: Txn): Txn[] {
    const request = t.waiting;
    if (request === undefined) return [];
    const lock = this.#locks.get(request.key)!;
    const out: Txn[] = [];
    for (const [holder, held] of lock.holders) if (holder !== t && conflicts(request.mode, held)) out.push(holder);
    for (const ahead of lock.queue) {
      if (ahead === request) break;
      if (ahead.txn !== t && conflicts(request.mode, ahead.mode)) out.push(ahead.txn);
    }
    return out;
  }

  /** Whether `t` can reach itself along wait-for edges. */
  #onCycle(t: Txn): boolean {
    const seen = new Set<Txn>();
    const stack = this.#waitsFor(t);
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next === t) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...this.#waitsFor(next));
    }
    return false;
  }

  /** While the wait-for graph has a cycle, aborts the youngest transaction on one. */
  #breakDeadlocks(): void {
    for (;;) {
      let victim: Txn | undefined;
      for (const t of this.#txns.values()) {
        if (t.waiting !== undefined && (victim === undefined || t.start > victim.start) && this.#onCycle(t)) victim = t;
      }
      if (victim === undefined) return;
      const request = victim.waiting!;
      const queue = this.#locks.get(request.key)!.queue;
      queue.splice(queue.indexOf(request), 1);
      victim.waiting = undefined;
      request.reject(new DeadlockError(victim.id));
      this.#end(victim);
      // The victim's request left its queue: requests behind it may be grantable now.
      this.#serve(request.key);
    }
  }

  #end(t: Txn): void {
    this.#txns.delete(t.id);
    for (const key of t.held.keys()) {
      this.#locks.get(key)!.holders.delete(t);
      this.#serve(key);
    }
  }
}
