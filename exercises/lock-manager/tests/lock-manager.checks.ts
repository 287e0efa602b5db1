// The rules of the statement one by one, on scripted scenarios (each id shape, each age order).
// Concurrent random transactions are judged in workload.checks.ts.
import { test } from 'vitest';
import { advance, show, streamFor, useVirtualTime } from 'learn-ds/harness';
import type { LockMode } from 'learn-ds/subject/lock-manager';
import { groups, KEYS, pairs } from './ids.ts';
import { Script, type Tracked } from './script.ts';

const S: LockMode = 'shared';
const X: LockMode = 'exclusive';

test('shared locks are shared: several transactions hold a shared lock on one key at once', async () => {
  useVirtualTime();
  for (const { shape, ids } of groups(streamFor('shared'), 5)) {
    const script = new Script();
    const requests = ids.map((id) => script.acquire(id, 'x', S));
    await script.settled();
    for (const r of requests) script.expect(r, 'granted', `shared locks are compatible with each other (ids ${shape})`);
  }
});

test('an exclusive lock excludes: shared and exclusive requests of others wait until the holder releases, then are granted with no time passing', async () => {
  useVirtualTime();
  for (const [shape, a, b] of pairs(streamFor('exclusive'))) {
    for (const [held, asked] of [[X, S], [X, X], [S, X]] as const) {
      const script = new Script();
      const first = script.acquire(a, 'k10', held);
      await script.settled();
      script.expect(first, 'granted', 'nobody holds the key');
      const second = script.acquire(b, 'k10', asked);
      await script.settled();
      script.expect(second, 'waiting', `${asked} conflicts with the ${held} lock ${show(a)} holds (ids ${shape})`);
      script.releaseAll(a);
      await script.settled();
      script.expect(second, 'granted', `releaseAll(${show(a)}) freed the key, and a grant happens during the call that frees the lock (no timer, no time passing)`);
    }
  }
});

test('asking again for a lock already held (or covered by an exclusive one) resolves at once and changes nothing', async () => {
  useVirtualTime();
  for (const [shape, a, b] of pairs(streamFor('again'))) {
    const script = new Script();
    const rx = [script.acquire(a, 'x', X), script.acquire(a, 'x', S)];
    const ry = [script.acquire(a, 'Y', S), script.acquire(a, 'Y', S)];
    await script.settled();
    for (const r of [...rx, ...ry]) script.expect(r, 'granted', `${show(a)} already holds that lock, or an exclusive one on the key (ids ${shape})`);
    const other = script.acquire(b, 'x', S);
    const otherY = script.acquire(b, 'Y', S);
    await script.settled();
    script.expect(other, 'waiting', `${show(a)} still holds x exclusively: asking for shared on a key held exclusively keeps the exclusive lock`);
    script.expect(otherY, 'granted', `${show(a)} holds only a shared lock on Y`);
    const again = script.acquire(a, 'x', X);
    await script.settled();
    script.expect(again, 'granted', `${show(a)} holds x exclusively`);
    script.expect(other, 'waiting', `${show(a)} holds x exclusively`);
  }
});

test('strict two-phase locking: locks stay held, however long, until releaseAll', async () => {
  useVirtualTime();
  for (const [shape, a, b] of pairs(streamFor('strict'))) {
    const script = new Script();
    const reads = script.acquire(a, 'x', S);
    const writes = script.acquire(a, 'Y', X);
    await script.settled();
    script.expect(reads, 'granted', 'nobody holds x');
    script.expect(writes, 'granted', 'nobody holds Y');
    const more = KEYS.slice(2).map((key, i) => script.acquire(a, key, i % 2 === 0 ? S : X));
    await advance(3_600_000);
    const writeX = script.acquire(b, 'x', X);
    const readY = script.acquire(b, 'Y', S);
    await advance(3_600_000);
    for (const r of more) script.expect(r, 'granted', 'nobody else holds these keys');
    script.expect(writeX, 'waiting', `${show(a)} read x under a shared lock and has not called releaseAll: it keeps the lock until it commits or aborts, two hours later included (ids ${shape})`);
    script.expect(readY, 'waiting', `${show(a)} holds Y exclusively until releaseAll`);
    script.releaseAll(a);
    await script.settled();
    script.expect(writeX, 'granted', `releaseAll(${show(a)}) released x`);
    script.expect(readY, 'granted', `releaseAll(${show(a)}) released Y`);
  }
});

test('releaseAll releases every lock the transaction holds (10 keys of many shapes, both modes); releaseAll of a transaction holding nothing, or twice, does nothing', async () => {
  useVirtualTime();
  for (const [shape, a, b] of pairs(streamFor('release'))) {
    const script = new Script();
    script.releaseAll(a);
    const held = KEYS.map((key, i) => script.acquire(a, key, i % 3 === 0 ? S : X));
    await script.settled();
    for (const r of held) script.expect(r, 'granted', 'nobody else holds these keys (the empty string, __proto__ and constructor are keys like any other)');
    const waiters = KEYS.map((key) => script.acquire(b, key, X));
    await script.settled();
    for (const r of waiters) script.expect(r, 'waiting', `${show(a)} holds the key (ids ${shape})`);
    script.releaseAll(a);
    await script.settled();
    for (const r of waiters) script.expect(r, 'granted', `releaseAll(${show(a)}) releases every lock ${show(a)} holds`);
    script.releaseAll(a);
    const after = script.acquire(a, 'x', S);
    await script.settled();
    script.expect(after, 'waiting', `${show(b)} holds x exclusively, and a second releaseAll(${show(a)}) must not disturb it`);
  }
});

test('first come, first served: a shared request waits behind a waiting exclusive one, so a stream of readers cannot starve a writer', async () => {
  useVirtualTime();
  for (const { shape, ids } of groups(streamFor('fifo-readers'), 7)) {
    const [reader, writer, ...later] = ids as [string, string, ...string[]];
    const script = new Script();
    const first = script.acquire(reader, 'x', S);
    const write = script.acquire(writer, 'x', X);
    const reads: Tracked[] = [];
    for (const id of later) {
      reads.push(script.acquire(id, 'x', S));
      await advance(10);
    }
    script.expect(first, 'granted', 'nobody holds x');
    script.expect(write, 'waiting', `${show(reader)} holds x shared`);
    for (const r of reads) script.expect(r, 'waiting', `an exclusive request (of ${show(writer)}) is waiting on x: a new request that finds requests waiting joins the queue, even when it agrees with the locks held (ids ${shape})`);
    script.releaseAll(reader);
    await script.settled();
    script.expect(write, 'granted', `the queue is served from its head: the exclusive request of ${show(writer)} arrived first`);
    for (const r of reads) script.expect(r, 'waiting', `${show(writer)} now holds x exclusively`);
    script.releaseAll(writer);
    await script.settled();
    for (const r of reads) script.expect(r, 'granted', 'every shared request at the head of the queue is granted together');
  }
});

test('serving a queue grants requests from its head and stops at the first that cannot be granted, even if a later one could', async () => {
  useVirtualTime();
  for (const { shape, ids } of groups(streamFor('serve'), 5)) {
    const [holder, s1, s2, x3, s4] = ids as [string, string, string, string, string];
    const script = new Script();
    script.acquire(holder, 'ключ', X);
    const q = [script.acquire(s1, 'ключ', S), script.acquire(s2, 'ключ', S), script.acquire(x3, 'ключ', X), script.acquire(s4, 'ключ', S)] as const;
    await script.settled();
    for (const r of q) script.expect(r, 'waiting', `${show(holder)} holds the key exclusively (ids ${shape})`);
    script.releaseAll(holder);
    await script.settled();
    script.expect(q[0], 'granted', 'the head of the queue is a shared request and the key is free');
    script.expect(q[1], 'granted', 'the next shared request agrees with the shared lock just granted');
    script.expect(q[2], 'waiting', 'an exclusive request waits while others hold the key shared');
    script.expect(q[3], 'waiting', `serving stops at the first request that cannot be granted: the shared request of ${show(s4)} is behind the exclusive one of ${show(x3)}`);
    script.releaseAll(s1);
    await script.settled();
    script.expect(q[2], 'waiting', `${show(s2)} still holds the key shared`);
    script.releaseAll(s2);
    await script.settled();
    script.expect(q[2], 'granted', 'the key is free and this request is at the head');
    script.expect(q[3], 'waiting', `${show(x3)} holds the key exclusively`);
    script.releaseAll(x3);
    await script.settled();
    script.expect(q[3], 'granted', 'the key is free and this request is at the head');
  }
});

test('waiting exclusive requests are granted one at a time, in the order they arrived', async () => {
  useVirtualTime();
  for (const { shape, ids } of groups(streamFor('fifo-writers'), 5)) {
    const [holder, ...writers] = ids as [string, ...string[]];
    const script = new Script();
    script.acquire(holder, 'acct:42', S);
    const q = writers.map((id) => script.acquire(id, 'acct:42', X));
    let owner = holder;
    for (let i = 0; i < q.length; i++) {
      script.releaseAll(owner);
      await script.settled();
      script.expect(q[i]!, 'granted', `the request of ${show(writers[i])} is the oldest one waiting (ids ${shape})`);
      for (const later of q.slice(i + 1)) script.expect(later, 'waiting', `${show(writers[i])} now holds the key exclusively`);
      owner = writers[i]!;
    }
  }
});

test('upgrade: the only holder of a shared lock gets the exclusive lock at once, even with requests waiting', async () => {
  useVirtualTime();
  for (const [shape, a, b] of pairs(streamFor('upgrade-alone'))) {
    const script = new Script();
    script.acquire(a, 'x', S);
    const waiting = script.acquire(b, 'x', X);
    const upgrade = script.acquire(a, 'x', X);
    await script.settled();
    script.expect(upgrade, 'granted', `${show(a)} is the only holder of x: an upgrade needs no other holder to leave, and it does not queue behind requests that wait for ${show(a)} anyway (ids ${shape})`);
    script.expect(waiting, 'waiting', `${show(a)} holds x exclusively now`);
    script.releaseAll(a);
    await script.settled();
    script.expect(waiting, 'granted', `releaseAll(${show(a)}) freed x`);
  }
});

test('upgrade: with other shared holders the upgrade waits at the head of the queue, keeping its shared lock, and is granted when it is the only holder left', async () => {
  useVirtualTime();
  for (const { shape, ids } of groups(streamFor('upgrade-head'), 4)) {
    const [a, other, writer, reader] = ids as [string, string, string, string];
    const script = new Script();
    script.acquire(a, 'x', S);
    script.acquire(other, 'x', S);
    const write = script.acquire(writer, 'x', X);
    const upgrade = script.acquire(a, 'x', X);
    const read = script.acquire(reader, 'x', S);
    await script.settled();
    script.expect(upgrade, 'waiting', `${show(other)} also holds x shared (ids ${shape})`);
    script.expect(read, 'waiting', 'requests are waiting on x: a new one joins the queue');
    script.expect(write, 'waiting', `${show(a)} and ${show(other)} hold x shared`);
    script.releaseAll(other);
    await script.settled();
    script.expect(upgrade, 'granted', `${show(a)} is the only holder left, and its upgrade waits ahead of every other request`);
    script.expect(write, 'waiting', `${show(a)} holds x exclusively now`);
    script.expect(read, 'waiting', `${show(a)} holds x exclusively now`);
    script.releaseAll(a);
    await script.settled();
    script.expect(write, 'granted', `${show(writer)} is next in the queue`);
    script.expect(read, 'waiting', `${show(writer)} holds x exclusively`);
  }
});
