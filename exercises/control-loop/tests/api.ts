// The instance API the suite puts under the learner's reconciler, in virtual time. It keeps the
// true state, answers list() from a lagging snapshot, fails as scripted, sees every call, and
// records every broken safety rule at the moment of the call (a rule broken inside the learner's
// async code cannot throw there: the learner would only see a rejected call).
import { show, virtualNow } from 'learn-ds/harness';
import type { Instance, InstanceApi } from 'learn-ds/subject/control-loop';

export type Kind = 'list' | 'create' | 'update' | 'delete';

export interface Call {
  readonly kind: Kind;
  readonly name?: string;
  readonly version?: string;
  readonly startMs: number;
  endMs?: number;
  failed?: boolean;
}

/** How one call answers: after delayMs; a failure rejects with `error`, a mutation possibly applied. */
export interface Reply {
  delayMs: number;
  fail?: { error: unknown; applied: boolean };
}

export interface Limits {
  intervalMs: number;
  maxChangesPerInterval: number;
  lagMs: number;
}

export class FakeApi {
  /** The true state, name → version. */
  readonly state: Map<string, string>;
  readonly calls: Call[] = [];
  readonly violations: string[] = [];
  /** Applied changes in order, with the state after each (for lagging snapshots). */
  readonly #history: { atMs: number; state: Map<string, string> }[] = [];
  #desired: Map<string, string>;
  #desiredChangedAt = 0;
  /** How each call answers; the suite replaces it per check. */
  reply: (kind: Kind, name?: string) => Reply = () => ({ delayMs: 10 });
  /** The moment a list called at `callMs` shows; the default is the stalest allowed. */
  snapshotAt: (callMs: number) => number;

  constructor(initial: Iterable<[string, string]>, desired: Iterable<[string, string]>, readonly limits: Limits) {
    this.state = new Map(initial);
    this.#history.push({ atMs: -Infinity, state: new Map(this.state) });
    this.#desired = new Map(desired);
    this.snapshotAt = (callMs) => callMs - limits.lagMs;
  }

  /** What the reconciler's `desired` option returns: a fresh copy every time. */
  readonly desired = (): ReadonlyMap<string, string> => new Map(this.#desired);

  setDesired(entries: Iterable<[string, string]>): void {
    this.#desired = new Map(entries);
    this.#desiredChangedAt = virtualNow();
  }

  desiredNow(): ReadonlyMap<string, string> {
    return this.#desired;
  }

  /** A change made behind the loop's back (a crashed machine, an operator). */
  drift(name: string, version: string | undefined): void {
    if (version === undefined) this.state.delete(name);
    else this.state.set(name, version);
    this.#history.push({ atMs: virtualNow(), state: new Map(this.state) });
  }

  converged(): boolean {
    if (this.state.size !== this.#desired.size) return false;
    for (const [name, version] of this.#desired) if (this.state.get(name) !== version) return false;
    return true;
  }

  /** What is still wrong, for a message. */
  difference(): string {
    const wrong: string[] = [];
    for (const [name, version] of this.#desired) {
      const actual = this.state.get(name);
      if (actual !== version) wrong.push(actual === undefined ? `${show(name)} missing` : `${show(name)} at ${show(actual)}, not ${show(version)}`);
    }
    for (const name of this.state.keys()) if (!this.#desired.has(name)) wrong.push(`${show(name)} not desired but present`);
    return wrong.length === 0 ? 'nothing' : wrong.slice(0, 6).join(', ') + (wrong.length > 6 ? `, and ${wrong.length - 6} more` : '');
  }

  mutations(): Call[] {
    return this.calls.filter((c) => c.kind !== 'list');
  }

  lists(): Call[] {
    return this.calls.filter((c) => c.kind === 'list');
  }

  readonly api: InstanceApi = {
    list: () => this.#call('list'),
    create: (name: string, version: string) => this.#call('create', name, version),
    update: (name: string, version: string) => this.#call('update', name, version),
    delete: (name: string) => this.#call('delete', name),
  };

  #snapshot(atMs: number): Instance[] {
    let state = this.#history[0]!.state;
    for (const h of this.#history) if (h.atMs <= atMs) state = h.state;
    return [...state].map(([name, version]) => ({ name, version }));
  }

  #lastListEnd = -Infinity;

  #checkMutation(call: Call): void {
    const { intervalMs, maxChangesPerInterval: k, lagMs } = this.limits;
    const now = call.startMs;
    const name = call.name!;
    const inWindow = this.mutations().filter((c) => c !== call && c.startMs > now - intervalMs);
    if (inWindow.length + 1 > k) {
      this.violations.push(`rate limit: ${inWindow.length + 1} changes were started within ${intervalMs} ms (at ${[...inWindow, call].map((c) => `${c.startMs}`).join(', ')} ms); maxChangesPerInterval is ${k}: at most ${k} changes in any intervalMs`);
    }
    // Passes do not overlap, so the pass that makes this change called the last list before it.
    const previous = this.mutations().filter((c) => c !== call && c.name === name).at(-1);
    const listedAt = this.lists().at(-1)?.startMs ?? -Infinity;
    if (previous && (previous.endMs === undefined || listedAt < previous.endMs + lagMs)) {
      const when = previous.endMs === undefined ? 'while it was still in flight' : `after a list called at ${listedAt} ms, ${listedAt - previous.endMs} ms after it answered at ${previous.endMs} ms`;
      this.violations.push(`changed ${show(name)} again before its last change could show: ${call.kind}(${show(name)}) at ${now} ms, ${when} (${previous.kind}(${show(name)}) started at ${previous.startMs} ms); a list may be up to lagMs = ${lagMs} ms stale, so only a list called at or after ${previous.endMs === undefined ? 'lagMs after it answers' : `${previous.endMs + lagMs} ms`} is sure to show ${show(name)} as it is now${call.kind === 'create' ? ' (a duplicate create)' : ''}`);
    }
    if (call.kind === 'delete' && this.#desired.has(name) && this.#desiredChangedAt <= this.#lastListEnd) {
      this.violations.push(`deleted a desired name: delete(${show(name)}) at ${now} ms, but ${show(name)} has been desired (version ${show(this.#desired.get(name))}) since ${this.#desiredChangedAt} ms, before the last list answered at ${this.#lastListEnd} ms (is desired() read afresh in every pass?)`);
    }
  }

  #call(kind: 'list'): Promise<Instance[]>;
  #call(kind: Exclude<Kind, 'list'>, name: string, version?: string): Promise<void>;
  #call(kind: Kind, name?: string, version?: string): Promise<Instance[] | void> {
    const call: Call = { kind, startMs: virtualNow(), ...(name === undefined ? {} : { name }), ...(version === undefined ? {} : { version }) };
    this.calls.push(call);
    if (kind !== 'list') this.#checkMutation(call);
    const reply = this.reply(kind, name);
    const seen = kind === 'list' ? this.#snapshot(Math.min(call.startMs, Math.max(call.startMs - this.limits.lagMs, this.snapshotAt(call.startMs)))) : [];
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        call.endMs = virtualNow();
        if (kind === 'list') this.#lastListEnd = call.endMs;
        const applies = kind !== 'list' && (!reply.fail || reply.fail.applied);
        if (applies) {
          if (kind === 'delete') this.state.delete(name!);
          else if (kind === 'create' && !this.state.has(name!)) this.state.set(name!, version!);
          else if (kind === 'update' && this.state.has(name!)) this.state.set(name!, version!);
          this.#history.push({ atMs: call.endMs, state: new Map(this.state) });
        }
        if (reply.fail) {
          call.failed = true;
          reject(reply.fail.error);
        } else resolve(kind === 'list' ? seen : undefined);
      }, reply.delayMs);
    });
  }
}

class ApiError extends Error {
  override name = 'ApiError';
}

/** What an API call may reject with: an Error subclass, a string, an object, undefined. */
export function errorsOfEveryKind(): { label: string; error: unknown }[] {
  return [
    { label: 'an Error subclass', error: new ApiError('503 Service Unavailable') },
    { label: 'a string', error: 'timeout' },
    { label: 'an object', error: { code: 'ETIMEDOUT' } },
    { label: 'undefined', error: undefined },
  ];
}

/** Names of every shape: sequential, random, mixed case (told apart from lower case), non-ASCII, names an object already has, ''. */
export function namesFor(random: () => number): string[] {
  const hex = () => Math.floor(random() * 0xffffffff).toString(16).padStart(8, '0');
  return ['web-1', 'web-2', 'web-3', `i-${hex()}`, `job/${hex()}`, 'Api', 'api', 'café', '日本語', '🚀-rocket', '__proto__', 'constructor', 'toString', ''];
}
