// Seeded random schedules of gets and writes on a few keys, against a slow store whose delays and
// failures come from the suite's seed, judged after every get by the freshness guarantee, and at
// every store load by "one load of a key at a time since its last write completed".
import { test, vi } from 'vitest';
import { advance, canReadTimers, check, controlMathRandom, describeThrown, fail, flushMicrotasks, freshVirtualTime, nextTimerAt, show, stacklessError, streamFor, virtualNow } from 'learn-ds/harness';
import { newCache, pick, type Settings, settingsText } from './fixtures.ts';
import { FakeStore, settleAll } from './store.ts';

const SCHEDULES = 60;
const OPS = 40;

type Op = { atMs: number; kind: 'get' | 'set'; key: string };

/** A value the suite wrote (or the store's first one): which key, which write. */
interface Written {
  readonly key: string;
  readonly write: number;
}

interface Write {
  readonly value: Written;
  readonly startSeq: number;
  /** Set once cache.set settled; a failed write that the store did not apply stays out of the model. */
  doneSeq?: number;
  applied?: boolean;
}

interface Outcome {
  readonly problems: string[];
  readonly log: string[];
  /** Loads that started before a write of their key completed and answered after it. */
  readonly racyLoads: number;
}

/**
 * advance(ms) without its probe timer: the timers due by then fire one after the other, each followed
 * by the promise callbacks it set off, as advance() fires them (those due at the same ms together),
 * then the clock moves to the end. advance() itself if the fake clock cannot be read.
 */
async function advanceBy(ms: number): Promise<void> {
  if (!canReadTimers()) return advance(ms);
  const end = Date.now() + ms;
  await flushMicrotasks();
  for (;;) {
    const due = nextTimerAt();
    if (due === undefined || due > end) break;
    vi.advanceTimersToNextTimer();
    await flushMicrotasks();
  }
  if (end > Date.now()) vi.advanceTimersByTime(end - Date.now());
}

const KEY_SETS = [['k1', 'k2', 'k3'], ['Alice', 'alice', '__proto__'], ['café', '日本', '']];

async function runSchedule(index: number, random: () => number): Promise<Outcome> {
  freshVirtualTime();
  controlMathRandom(random);
  const keys = KEY_SETS[index % KEY_SETS.length]!;
  const s: Settings = { capacity: pick(random, 1, 3), ttlMs: pick(random, 40, 400), jitter: pick(random, 0, 5) / 10 };
  const store = new FakeStore();
  let failures = 0;
  store.nextGetReply = () =>
    random() < 0.15 ? { delayMs: pick(random, 1, 60), fails: true, error: stacklessError(`store get failure #${++failures}`) } : { delayMs: pick(random, 1, 60) };
  store.nextSetReply = () =>
    random() < 0.1
      ? { delayMs: pick(random, 1, 60), fails: true, error: stacklessError(`store set failure #${++failures}`), applied: random() < 0.5 }
      : { delayMs: pick(random, 1, 60) };
  const writes = new Map<string, Write[]>(keys.map((key) => {
    const first: Written = { key, write: 0 };
    store.values.set(key, first);
    return [key, [{ value: first, startSeq: 0, doneSeq: 0, applied: true }]];
  }));
  const cache = newCache(store, s);

  let at = 0;
  const ops: Op[] = Array.from({ length: OPS }, () => {
    at += pick(random, 0, 30);
    return { atMs: at, kind: random() < 0.7 ? 'get' : 'set', key: keys[pick(random, 0, keys.length - 1)]! };
  });

  const problems: string[] = [];
  const log: string[] = [`${settingsText(s)}; keys ${keys.map((k) => show(k)).join(', ')}`];
  const pending: Promise<unknown>[] = [];
  let writeCount = 0;
  /** The value of `key`'s last completed write that the store applied, when a get starts. */
  const committed = (key: string): Write => {
    const done = writes.get(key)!.filter((w) => w.doneSeq !== undefined && w.applied);
    return done.reduce((a, b) => (b.doneSeq! > a.doneSeq! ? b : a));
  };
  const lastDone = (key: string): number => Math.max(...writes.get(key)!.filter((w) => w.doneSeq !== undefined).map((w) => w.doneSeq!));
  const name = (v: unknown) => (typeof v === 'object' && v !== null && 'write' in v ? `${show((v as Written).key)}#${(v as Written).write}` : show(v));

  let loadsSeen = 0;
  const checkLoads = () => {
    for (const call of store.gets.slice(loadsSeen)) {
      const since = lastDone(call.key);
      const running = store.gets.filter((g) => g.key === call.key && g.seq <= call.seq && (g.endMs === undefined || g === call) && g.seq > since);
      if (running.length > 1) problems.push(`at ${call.startMs} ms a second store.get(${show(call.key)}) started while one started since the key's last write completed was still running (started at ${running[0]!.startMs} ms); concurrent misses must share one load`);
    }
    loadsSeen = store.gets.length;
  };

  for (const op of ops) {
    const wait = op.atMs - virtualNow();
    if (wait > 0) await advanceBy(wait);
    checkLoads();
    if (op.kind === 'set') {
      const value: Written = { key: op.key, write: ++writeCount };
      const write: Write = { value, startSeq: store.mark() };
      writes.get(op.key)!.push(write);
      log.push(`${virtualNow()} ms: set(${show(op.key)}, ${name(value)})`);
      pending.push(cache.set(op.key, value).then(
        () => { write.doneSeq = store.mark(); write.applied = true; log.push(`${virtualNow()} ms: set(${show(op.key)}, ${name(value)}) completed`); },
        (error: unknown) => {
          write.doneSeq = store.mark();
          write.applied = store.sets.find((c) => c.value === value)?.applied === true;
          log.push(`${virtualNow()} ms: set(${show(op.key)}, ${name(value)}) failed (${describeThrown(error)}; ${write.applied ? 'applied' : 'not applied'} by the store)`);
        },
      ));
    } else {
      const startMs = virtualNow();
      const startSeq = store.mark();
      const floor = committed(op.key);
      log.push(`${startMs} ms: get(${show(op.key)})`);
      const judge = (got: string) => `get(${show(op.key)}) made at ${startMs} ms ${got}; the last write of ${show(op.key)} completed before it was ${floor.value.write === 0 ? "none (the store's first value, #0)" : `set(${show(op.key)}, ${name(floor.value)})`}`;
      pending.push(cache.get(op.key).then(
        (got) => {
          log.push(`${virtualNow()} ms: get(${show(op.key)}) made at ${startMs} ms resolved with ${name(got)}`);
          const allowed = writes.get(op.key)!.filter((w) => w === floor || (w.startSeq < store.mark() && (w.doneSeq === undefined || w.doneSeq > startSeq)));
          if (!allowed.some((w) => Object.is(w.value, got))) {
            problems.push(`${judge(`resolved at ${virtualNow()} ms with ${name(got)}`)}: a get made after a write completed must return that write's value or a newer one (${allowed.map((w) => name(w.value)).join(' or ')})`);
          }
        },
        (error: unknown) => {
          log.push(`${virtualNow()} ms: get(${show(op.key)}) made at ${startMs} ms rejected with ${describeThrown(error)}`);
          if (!store.rejections.has(error)) problems.push(`${judge(`rejected with ${describeThrown(error)}`)}, which the store never rejected with`);
        },
      ));
    }
    if (problems.length > 0) break;
  }
  const settled = await settleAll(pending);
  checkLoads();
  if (problems.length === 0 && settled.some((o) => o.status === 'hung')) problems.push(`some gets or writes never settled (${settled.filter((o) => o.status === 'hung').length} of ${settled.length})`);

  let racyLoads = 0;
  for (const call of store.gets) {
    for (const w of writes.get(call.key)!) {
      if (w.doneSeq !== undefined && w.startSeq > 0 && call.seq < w.doneSeq && call.endSeq !== undefined && call.endSeq > w.doneSeq) racyLoads++;
    }
  }
  return { problems, log, racyLoads };
}

test('seeded schedules: a get made after a write completed never returns an older value, and concurrent misses share one load', async () => {
  const random = streamFor('schedules');
  let racy = 0;
  for (let i = 0; i < SCHEDULES; i++) {
    const outcome = await runSchedule(i, random);
    if (outcome.problems.length > 0) {
      fail(`schedule ${i + 1} of ${SCHEDULES}: ${outcome.problems[0]}`, `what happened (times in virtual ms):\n${outcome.log.slice(-30).join('\n')}`);
    }
    racy += outcome.racyLoads;
  }
  check(racy > 0, `(learn-ds bug) no schedule had a load running across a write's completion; this check proved nothing`);
});
