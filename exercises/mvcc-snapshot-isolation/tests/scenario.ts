// A scripted run on the learner's store: transactions are named T1, T2… in the order they begin,
// every call is logged, and a failed expectation shows the calls that led to it.
import { check, describeThrown, fail, show } from 'learn-ds/harness';
import { createStore } from 'learn-ds/subject/mvcc-snapshot-isolation';
import type { SnapshotStore, TxnId } from 'learn-ds/subject/mvcc-snapshot-isolation';

/** Why a commit must succeed, when nothing conflicts with it. */
export function noRival(label: string): string {
  return `no transaction that committed after ${label} began wrote a key ${label} wrote (the commits before it began are in its snapshot: they are no conflict)`;
}

export class Scenario {
  readonly store: SnapshotStore = createStore();
  readonly #ids = new Map<string, TxnId>();
  readonly #log: string[] = [];

  /** The calls so far, for a failure's detail. */
  get detail(): string {
    return ['the calls, in order:', ...this.#log.map((l) => `  ${l}`)].join('\n');
  }

  begin(): string {
    const label = `T${this.#ids.size + 1}`;
    this.#ids.set(label, this.store.begin());
    this.#log.push(`${label} = begin()`);
    return label;
  }

  write(label: string, key: string, value: unknown): void {
    this.store.write(this.#id(label), key, value);
    this.#log.push(`${label} write ${show(key)} = ${show(value)}`);
  }

  read(label: string, key: string): unknown {
    const value = this.store.read(this.#id(label), key);
    this.#log.push(`${label} read ${show(key)} → ${show(value)}`);
    return value;
  }

  commit(label: string): unknown {
    const ok = this.store.commit(this.#id(label));
    this.#log.push(`${label} commit() → ${show(ok)}`);
    return ok;
  }

  abort(label: string): void {
    this.store.abort(this.#id(label));
    this.#log.push(`${label} abort()`);
  }

  /** A transaction that writes these keys and commits; fails unless the commit succeeds. */
  committed(writes: Record<string, unknown>): string {
    const t = this.begin();
    for (const [key, value] of Object.entries(writes)) this.write(t, key, value);
    this.expectCommit(t, true, noRival(t));
    return t;
  }

  expectRead(label: string, key: string, expected: unknown, why: string): void {
    const value = this.read(label, key);
    check(Object.is(value, expected), () => `${label} read ${show(key)} and got ${show(value)}; expected ${show(expected)}: ${why}`, this.detail);
  }

  expectCommit(label: string, expected: boolean, why: string): void {
    const ok = this.commit(label);
    check(ok === expected, () => `${label}'s commit() returned ${show(ok)}; expected ${expected}: ${why}`, this.detail);
  }

  expectCount(expected: number, when: string, why: string): void {
    const count = this.store.versionCount();
    this.#log.push(`versionCount() → ${show(count)}`);
    check(count === expected, () => `after ${when}, versionCount() returned ${show(count)}; expected ${expected}: ${why}`, this.detail);
  }

  /** Fails unless `call` throws an Error (of any kind). */
  expectThrow(what: string, call: () => unknown, why: string): void {
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      this.#log.push(`${what} threw ${describeThrown(error)}`);
      check(error instanceof Error, () => `${what} threw ${describeThrown(error)}; expected an Error: ${why}`, this.detail);
      return;
    }
    this.#log.push(`${what} → ${show(result)}`);
    fail(`${what} returned ${show(result)}; expected it to throw an Error: ${why}`, this.detail);
  }

  id(label: string): TxnId {
    return this.#id(label);
  }

  #id(label: string): TxnId {
    const id = this.#ids.get(label);
    if (id === undefined) throw new Error(`learn-ds bug: no transaction ${label}`);
    return id;
  }
}
