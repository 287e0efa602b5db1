// The statement's rules as a plain synchronous model: what each acquire comes to (granted, waiting,
// aborted) after every call. The concurrent checks feed it the same calls as the learner's manager
// and compare. Written apart from the reference: one list of entries per key (granted ones and the
// queue), cycles found by reachability over the waiting transactions.
import { show } from 'learn-ds/harness';
import type { LockMode } from 'learn-ds/subject/lock-manager';

export interface ModelRequest {
  readonly txn: string;
  readonly key: string;
  readonly mode: LockMode;
  status: 'waiting' | 'granted' | 'aborted';
  /** Why it was decided, for a failure message. */
  why: string;
}

interface Entry {
  readonly txn: string;
  mode: LockMode;
  granted: boolean;
  readonly request?: ModelRequest;
}

const conflict = (a: LockMode, b: LockMode) => a === 'exclusive' || b === 'exclusive';

export class LockModel {
  readonly #entries = new Map<string, Entry[]>();
  readonly #started = new Map<string, number>();
  readonly #waitingOn = new Map<string, string>();
  #clock = 0;

  acquire(txn: string, key: string, mode: LockMode): ModelRequest {
    if (!this.#started.has(txn)) this.#started.set(txn, this.#clock++);
    const request: ModelRequest = { txn, key, mode, status: 'waiting', why: '' };
    const list = this.#entries.get(key) ?? [];
    this.#entries.set(key, list);
    const mine = list.find((e) => e.granted && e.txn === txn);
    if (mine && (mine.mode === 'exclusive' || mine.mode === mode)) return this.#decide(request, 'granted', 'the lock was already held');
    const others = list.filter((e) => e.granted && e.txn !== txn);
    if (mine) {
      if (others.length === 0) {
        mine.mode = 'exclusive';
        return this.#decide(request, 'granted', 'an upgrade by the only holder is granted at once');
      }
      const firstWaiting = list.findIndex((e) => !e.granted);
      list.splice(firstWaiting < 0 ? list.length : firstWaiting, 0, { txn, mode, granted: false, request });
    } else {
      const queued = list.some((e) => !e.granted);
      if (!queued && others.every((e) => !conflict(e.mode, mode))) {
        list.push({ txn, mode, granted: true });
        return this.#decide(request, 'granted', 'nobody waits on the key and it agrees with the locks held');
      }
      list.push({ txn, mode, granted: false, request });
    }
    this.#waitingOn.set(txn, key);
    this.#breakDeadlocks();
    return request;
  }

  releaseAll(txn: string): void {
    this.#started.delete(txn);
    for (const [key, list] of [...this.#entries]) {
      const kept = list.filter((e) => !(e.granted && e.txn === txn));
      if (kept.length === list.length) continue;
      this.#entries.set(key, kept);
      this.#serve(key, `${show(txn)} released the key`);
    }
  }

  #decide(request: ModelRequest, status: 'granted' | 'aborted', why: string): ModelRequest {
    request.status = status;
    request.why = why;
    return request;
  }

  #serve(key: string, why: string): void {
    const list = this.#entries.get(key)!;
    for (const e of list) {
      if (e.granted) continue;
      if (list.some((o) => o.granted && o.txn !== e.txn && conflict(o.mode, e.mode))) break;
      const old = list.findIndex((o) => o.granted && o.txn === e.txn);
      if (old >= 0) list[old]!.mode = 'exclusive';
      e.granted = true;
      this.#waitingOn.delete(e.txn);
      this.#decide(e.request!, 'granted', `${why}, and the request was next in the queue`);
    }
    const left = list.filter((e) => e.granted || e.request!.status === 'waiting');
    // An upgrade granted above left two granted entries for one transaction: keep the first.
    const seen = new Set<string>();
    const merged = left.filter((e) => !e.granted || (!seen.has(e.txn) && seen.add(e.txn)));
    if (merged.length === 0) this.#entries.delete(key);
    else this.#entries.set(key, merged);
  }

  #waitsFor(txn: string): string[] {
    const key = this.#waitingOn.get(txn);
    if (key === undefined) return [];
    const list = this.#entries.get(key)!;
    const at = list.findIndex((e) => !e.granted && e.txn === txn);
    const me = list[at]!;
    return list.filter((e, i) => e.txn !== txn && (e.granted || i < at) && conflict(e.mode, me.mode)).map((e) => e.txn);
  }

  #reachesItself(txn: string): boolean {
    const seen = new Set<string>();
    const todo = this.#waitsFor(txn);
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (next === txn) return true;
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(...this.#waitsFor(next));
      }
    }
    return false;
  }

  #breakDeadlocks(): void {
    for (;;) {
      const onCycle = [...this.#waitingOn.keys()].filter((t) => this.#reachesItself(t));
      if (onCycle.length === 0) return;
      const victim = onCycle.reduce((a, b) => (this.#started.get(a)! > this.#started.get(b)! ? a : b));
      const key = this.#waitingOn.get(victim)!;
      const list = this.#entries.get(key)!;
      const at = list.findIndex((e) => !e.granted && e.txn === victim);
      const [entry] = list.splice(at, 1);
      this.#waitingOn.delete(victim);
      const others = onCycle.filter((t) => t !== victim);
      this.#decide(entry!.request!, 'aborted', `${show(victim)} was the youngest on a cycle with ${others.map(show).join(', ')}`);
      this.releaseAll(victim);
      if (this.#entries.has(key)) this.#serve(key, `the request of ${show(victim)} left the queue`);
    }
  }
}
