// The world the learner's queue and consumers live in: a broker "disk" (durable key-value storage)
// and a consumer database, each reached through a handle bound to one incarnation of a process. A
// write becomes durable only some promise turns after it was issued, so a crash drops writes still
// in flight; a crash can also come right after the k-th write (or step) of an incarnation. After a
// crash the incarnation's calls throw Crash and its pending promises never settle, as in a dead
// process; learn-ds starts the broker again with openQueue() on the same disk.
import type { ConsumerDb, Json, MessageQueue, QueueOptions, ReceivedMessage, Storage } from 'learn-ds/subject/message-queue';
import { openQueue } from 'learn-ds/subject/message-queue';
import { show } from 'learn-ds/harness';

/** Thrown into the code of a process that learn-ds crashed: nothing it does afterwards has any effect. */
export class Crash extends Error {
  constructor(what: string) {
    super(`learn-ds crashed the ${what} here (its later calls do nothing)`);
    this.name = 'Crash';
  }
}

/** The broker was down when a client called it. */
export class BrokerDown extends Error {
  constructor() {
    super('the broker is down (learn-ds crashed it and has not restarted it yet)');
    this.name = 'BrokerDown';
  }
}

/** Promise turns a write takes to become durable: more than a caller needs to see its call resolve. */
const WRITE_TURNS = 20;

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** A deep copy of a JSON value, refusing anything JSON cannot hold (it would not survive a disk). */
export function copyJson(value: unknown, where: () => string): Json {
  if (!isJson(value)) throw new TypeError(`${where()}: ${jsonProblem(value)}; storage holds JSON values only`);
  return structuredClone(value) as Json;
}

/** Whether jsonProblem() finds nothing, without building the path of every value on the way. */
function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJson(value[i])) return false;
    return true;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) if (!isJson(v)) return false;
    return true;
  }
  return false;
}

function jsonProblem(value: unknown, path = 'the value'): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = jsonProblem(value[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      const p = jsonProblem(v, `${path}.${k}`);
      if (p) return p;
    }
    return undefined;
  }
  return `${path} is ${value === undefined ? 'undefined' : value instanceof Map ? 'a Map' : value instanceof Set ? 'a Set' : typeof value === 'object' ? `a ${value.constructor?.name ?? 'prototype-less'} object` : typeof value}`;
}

/** One life of a process, between a start and a crash. */
export class Incarnation {
  dead = false;
  /** Writes (or steps) that took effect in this life. */
  count = 0;
  /** The crash comes right after this write (or step), counted from 1; undefined: no planned crash. */
  crashAt: number | undefined;
  readonly died: Promise<never>;
  private kill!: (error: Crash) => void;

  constructor(readonly what: string) {
    this.died = new Promise<never>((_, reject) => {
      this.kill = reject;
    });
    this.died.catch(() => undefined);
  }

  alive(): void {
    if (this.dead) throw new Crash(this.what);
  }

  die(): void {
    if (this.dead) return;
    this.dead = true;
    this.kill(new Crash(this.what));
  }

  /** Counts one write or step; dies right after it when the plan says so. Returns whether it died. */
  tick(): boolean {
    this.count++;
    if (this.crashAt !== undefined && this.count >= this.crashAt) {
      this.die();
      return true;
    }
    return false;
  }

  /** `work` or Crash, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.died]);
  }
}

/** The broker's disk: what survives every crash. */
export class Disk {
  readonly data = new Map<string, Json>();
  /** Every write that reached the disk, for the story of a run. */
  writes = 0;

  /** The storage one incarnation of the broker sees. */
  storage(life: Incarnation): Storage {
    const disk = this;
    const never = new Promise<never>(() => undefined);
    const write = async (apply: () => void): Promise<void> => {
      life.alive();
      await turns(WRITE_TURNS);
      if (life.dead) return never; // the process died while the write was in flight: it never reached the disk
      apply();
      disk.writes++;
      if (life.tick()) return never;
    };
    return {
      get: reader(disk.data, life),
      set(key: string, value: Json) {
        try {
          life.alive();
          checkKey(key, 'set');
          const copy = copyJson(value, () => `storage.set(${show(key)}, …)`);
          return write(() => disk.data.set(key, copy));
        } catch (error) {
          return Promise.reject(error);
        }
      },
      delete(key: string) {
        try {
          life.alive();
          checkKey(key, 'delete');
          return write(() => disk.data.delete(key));
        } catch (error) {
          return Promise.reject(error);
        }
      },
      async keys(prefix: string) {
        life.alive();
        if (typeof prefix !== 'string') throw new TypeError(`storage.keys(prefix) takes a string; it was given ${show(prefix)}`);
        await turns(1);
        if (life.dead) return never;
        return [...disk.data.keys()].filter((k) => k.startsWith(prefix)).sort();
      },
    };
  }
}

/** A get on `data` as one incarnation makes it: a copy of the value, after a promise turn; nothing once dead. */
function reader(data: Map<string, Json>, life: Incarnation): (key: string) => Promise<Json | undefined> {
  return async (key: string) => {
    life.alive();
    checkKey(key, 'get');
    await turns(1);
    if (life.dead) return new Promise<never>(() => undefined);
    const value = data.get(key);
    return value === undefined ? undefined : structuredClone(value);
  };
}

function checkKey(key: unknown, method: string): void {
  if (typeof key !== 'string') throw new TypeError(`storage.${method}(key) takes a string key; it was given ${show(key)}`);
}

/**
 * The broker as clients see it: calls go to the current incarnation of the learner's queue, one at
 * a time (a call waits for the previous one to settle); while it is down they reject with BrokerDown.
 */
export class Broker {
  readonly disk = new Disk();
  life: Incarnation | undefined;
  private queue: MessageQueue | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  restarts = 0;

  constructor(readonly options: QueueOptions) {}

  get up(): boolean {
    return this.queue !== undefined;
  }

  /** Starts (or restarts) the broker on its disk. */
  async start(): Promise<void> {
    const life = new Incarnation('broker');
    this.life = life;
    this.restarts++;
    this.queue = await life.race(openQueue(this.disk.storage(life), { ...this.options }));
  }

  /** Crashes the broker now: writes in flight are lost, calls under way never complete. */
  crash(): void {
    this.life?.die();
    this.queue = undefined;
  }

  /** Crashes the broker right after its k-th write from now. */
  crashAfterWrites(k: number): void {
    const life = this.life;
    if (life) life.crashAt = life.count + k;
  }

  /** Crashes the broker the moment its k-th call from now resolves, before writes still in flight land. */
  crashAfterCalls(k: number): void {
    this.callsBeforeCrash = k;
  }

  private callsBeforeCrash: number | undefined;

  /** Runs one call on the current incarnation, after the calls before it. */
  call<T>(work: (queue: MessageQueue) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const queue = this.queue;
      const life = this.life;
      if (!queue || !life || life.dead) throw new BrokerDown();
      try {
        const value = await life.race(Promise.resolve().then(() => work(queue)));
        if (this.callsBeforeCrash !== undefined && --this.callsBeforeCrash === 0) this.crash();
        return value;
      } finally {
        if (life.dead && this.queue === queue) this.queue = undefined;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The queue as a client (a consumer, the tests) sees it. */
  client(): MessageQueue {
    return {
      send: (id, body) => this.call((q) => q.send(id, body)),
      receive: (max, visibilityTimeoutMs) =>
        this.call((q) => (visibilityTimeoutMs === undefined ? q.receive(max) : q.receive(max, visibilityTimeoutMs))),
      delete: (handle) => this.call((q) => q.delete(handle)),
      changeVisibility: (handle, ms) => this.call((q) => q.changeVisibility(handle, ms)),
      deadLetters: () => this.call((q) => q.deadLetters()),
    };
  }
}

/** One applied write of the consumer database, for the checks. */
export interface AppliedWrite {
  /** Who wrote it: "consumer A (life 2)". */
  by: string;
  /** The message ids whose effect (`effect:<id>`) this write contains. */
  effects: string[];
  keys: string[];
  atMs: number;
}

/** The consumers' database: what survives their crashes. */
export class ConsumerDisk {
  readonly data = new Map<string, Json>();
  readonly applied: AppliedWrite[] = [];

  /** How many applied writes carried the effect of message `id`. */
  effectCount(id: string): number {
    return this.applied.reduce((n, w) => n + (w.effects.includes(id) ? 1 : 0), 0);
  }

  handle(life: Incarnation, by: string, now: () => number): ConsumerDb {
    const disk = this;
    const never = new Promise<never>(() => undefined);
    return {
      get: reader(disk.data, life),
      async write(entries: Record<string, Json>, expected?: Record<string, Json | undefined>) {
        life.alive();
        if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
          throw new TypeError(`db.write(entries) takes an object of key → value; it was given ${show(entries)}`);
        }
        const copy = copyJson(entries, () => 'db.write(entries)') as Record<string, Json>;
        const conditions = expected === undefined ? [] : Object.entries(expected);
        await turns(WRITE_TURNS);
        if (life.dead) return never;
        const ok = conditions.every(([k, v]) => {
          const have = disk.data.get(k);
          return v === undefined ? have === undefined : have !== undefined && JSON.stringify(have) === JSON.stringify(v);
        });
        if (!ok) return false;
        for (const [k, v] of Object.entries(copy)) disk.data.set(k, v);
        const keys = Object.keys(copy);
        disk.applied.push({
          by,
          keys,
          effects: keys.filter((k) => k.startsWith('effect:')).map((k) => k.slice('effect:'.length)),
          atMs: now(),
        });
        if (life.tick()) return never;
        return true;
      },
    };
  }
}

/** The queue as one incarnation of a consumer sees it: each call that returns is one step, and dies with it. */
export function consumerQueue(broker: Broker, life: Incarnation, onStep?: (what: string) => void): MessageQueue {
  const client = broker.client();
  const step = async <T>(what: (value: T) => string, work: () => Promise<T>): Promise<T> => {
    life.alive();
    const value = await life.race(work());
    life.alive();
    onStep?.(what(value));
    if (life.tick()) throw new Crash(life.what);
    return value;
  };
  return {
    send: (id, body) => step(() => `send ${show(id)}`, () => client.send(id, body)),
    receive: (max, ms) =>
      step((got: ReceivedMessage[]) => `receive → ${got.length === 0 ? 'nothing' : got.map((m) => `${show(m.id)} (delivery ${m.receiveCount})`).join(', ')}`, () => client.receive(max, ms)),
    delete: (handle) => step((ok) => `delete ${show(handle)} → ${ok}`, () => client.delete(handle)),
    changeVisibility: (handle, ms) => step((ok) => `changeVisibility ${show(handle)} ${ms} → ${ok}`, () => client.changeVisibility(handle, ms)),
    deadLetters: () => step(() => 'deadLetters', () => client.deadLetters()),
  };
}
