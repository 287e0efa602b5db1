// The slow store the suite puts behind the learner's cache, in virtual time: every call answers
// after a scripted delay, succeeds or fails as scripted, and is recorded.
// A get reads the store's value when it is called; a set changes it when it answers (a failed set
// changes it only when scripted so, like a write that timed out after it was applied). So a load
// that starts before a write can come back with the value from before it, after the write is done.
import { describeThrown, settle, show, virtualNow, type Settled } from 'learn-ds/harness';
import type { Store } from 'learn-ds/subject/cache-aside';

export type GetReply = { delayMs: number; fails?: false } | { delayMs: number; fails: true; error: unknown };
export type SetReply = { delayMs: number; fails?: false } | { delayMs: number; fails: true; error: unknown; applied: boolean };

export interface GetCall {
  readonly key: string;
  /** Its place among the store's calls and the marks the suite makes (FakeStore.mark). */
  readonly seq: number;
  readonly startMs: number;
  /** When it answered; undefined while it runs. */
  endMs?: number;
  endSeq?: number;
}

export interface SetCall {
  readonly key: string;
  readonly value: unknown;
  readonly startMs: number;
  endMs?: number;
  /** Whether the store took the value (a failed write may have). */
  applied?: boolean;
}

export class FakeStore {
  /** What the store holds; a Map, so that '__proto__' is a key like any other. */
  readonly values = new Map<string, unknown>();
  readonly gets: GetCall[] = [];
  readonly sets: SetCall[] = [];
  #getReplies = new Map<string, GetReply[]>();
  #setReplies = new Map<string, SetReply[]>();

  /** Replies for calls nothing was scripted for (the default: success after defaultDelayMs). */
  nextGetReply: (key: string) => GetReply;
  nextSetReply: (key: string) => SetReply;
  /** Every value the store rejected a call with. */
  readonly rejections = new Set<unknown>();

  constructor(readonly defaultDelayMs = 10) {
    this.nextGetReply = () => ({ delayMs: this.defaultDelayMs });
    this.nextSetReply = () => ({ delayMs: this.defaultDelayMs });
  }

  /** The object handed to the cache as its store. */
  readonly api: Store<unknown> = {
    get: (key: string) => this.#get(key),
    set: (key: string, value: unknown) => this.#set(key, value),
  };

  /** The next get of `key` answers as `reply` says (replies queue up; then the default delay). */
  onGet(key: string, reply: GetReply): this {
    const queue = this.#getReplies.get(key) ?? [];
    queue.push(reply);
    this.#getReplies.set(key, queue);
    return this;
  }

  onSet(key: string, reply: SetReply): this {
    const queue = this.#setReplies.get(key) ?? [];
    queue.push(reply);
    this.#setReplies.set(key, queue);
    return this;
  }

  #seq = 0;

  /** A number larger than every earlier call's seq and mark: orders events of one millisecond. */
  mark(): number {
    return ++this.#seq;
  }

  getsOf(key: string): GetCall[] {
    return this.gets.filter((call) => call.key === key);
  }

  #get(key: string): Promise<unknown> {
    const call: GetCall = { key, seq: this.mark(), startMs: virtualNow() };
    this.gets.push(call);
    const reply = this.#getReplies.get(key)?.shift() ?? this.nextGetReply(key);
    if (!this.values.has(key) && !reply.fails) {
      return Promise.reject(new Error(`(learn-ds bug) the store holds nothing for ${show(key)}`));
    }
    const value = this.values.get(key);
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        call.endMs = virtualNow();
        call.endSeq = this.mark();
        if (reply.fails) {
          this.rejections.add(reply.error);
          reject(reply.error);
        } else resolve(value);
      }, reply.delayMs);
    });
  }

  #set(key: string, value: unknown): Promise<void> {
    const call: SetCall = { key, value, startMs: virtualNow() };
    this.sets.push(call);
    const reply = this.#setReplies.get(key)?.shift() ?? this.nextSetReply(key);
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        call.endMs = virtualNow();
        call.applied = !reply.fails || reply.applied;
        if (call.applied) this.values.set(key, value);
        if (reply.fails) {
          this.rejections.add(reply.error);
          reject(reply.error);
        } else resolve();
      }, reply.delayMs);
    });
  }
}

/** Watches a promise: `outcome` is set, with the virtual time, once it settles. */
export function track<T>(promise: Promise<T>): { outcome?: Settled<T> } {
  const tracked: { outcome?: Settled<T> } = {};
  promise.then(
    (value) => { tracked.outcome = { status: 'fulfilled', value, atMs: virtualNow() }; },
    (reason: unknown) => { tracked.outcome = { status: 'rejected', reason, atMs: virtualNow() }; },
  );
  return tracked;
}

/** Runs virtual time until every promise has settled (a minute at most). */
export async function settleAll<T>(promises: Promise<T>[]): Promise<Settled<T>[]> {
  const tracked = promises.map((p) => track(p));
  // settle() returns right after a real macrotask let every promise callback run (the trackers'
  // too, attached first): nothing of the cache's has run since, so no further flush is needed.
  const all = await settle(Promise.allSettled(promises), 60_000);
  const why = all.status === 'hung' ? all.why : 'time-limit';
  return tracked.map((t) => t.outcome ?? { status: 'hung', why, atMs: virtualNow() });
}

/** Runs virtual time until `promise` settles (a minute at most). */
export async function settleOne<T>(promise: Promise<T>): Promise<Settled<T>> {
  return (await settleAll([promise]))[0]!;
}

/** What a settled get did, for a message. */
export function outcomeText(settled: Settled<unknown>): string {
  if (settled.status === 'fulfilled') return `resolved with ${show(settled.value)}`;
  if (settled.status === 'rejected') return `rejected with ${describeThrown(settled.reason)}`;
  return settled.why === 'no-timers' ? 'never settled (nothing was left scheduled that could settle it)' : 'had not settled after a minute';
}
