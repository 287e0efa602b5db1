// Deadlocks on scripted scenarios: which transaction is the victim (the youngest on a cycle, by
// the order transactions started, never by id), exactly one per cycle, and what its abort frees.
import { test } from 'vitest';
import { check, show, streamFor, useVirtualTime } from 'learn-ds/harness';
import type { LockMode } from 'learn-ds/subject/lock-manager';
import { idShapes, pairs, shuffled } from './ids.ts';
import { Script, type Tracked } from './script.ts';

const S: LockMode = 'shared';
const X: LockMode = 'exclusive';

function expectVictim(script: Script, r: Tracked, victim: string): void {
  script.expect(r, 'aborted', `${show(victim)} is the youngest transaction on the cycle`);
  check(
    r.victimField === victim,
    () => `the DeadlockError that rejected the acquire of ${show(victim)} has txn ${show(r.victimField)}; expected ${show(victim)}: reject with new DeadlockError(victim)`,
    `the script so far:\n${script.transcript()}`,
  );
}

test('a cycle of two: the youngest transaction is aborted with a DeadlockError, whichever request closed the cycle, and the other is granted', async () => {
  useVirtualTime();
  for (const [shape, older, younger] of pairs(streamFor('cycle-2'))) {
    for (const closer of [older, younger]) {
      for (const modes of [[X, X], [X, S], [S, X]] as const) {
        const script = new Script();
        // older holds x, younger holds y (started in that order); each then asks for the other's key.
        script.acquire(older, 'x', X);
        script.acquire(younger, 'Y', X);
        const first = closer === older ? script.acquire(younger, 'x', modes[0]) : script.acquire(older, 'Y', modes[0]);
        await script.settled();
        script.expect(first, 'waiting', 'the key is held exclusively');
        const second = closer === older ? script.acquire(older, 'Y', modes[1]) : script.acquire(younger, 'x', modes[1]);
        await script.settled();
        const olderWait = closer === older ? second : first;
        const youngerWait = closer === older ? first : second;
        expectVictim(script, youngerWait, younger);
        script.expect(olderWait, 'granted', `the manager aborted ${show(younger)} (the youngest: it started after ${show(older)}; ids ${shape}) and released its locks itself, without waiting for releaseAll`);
        script.releaseAll(younger);
        const retry = script.acquire(younger, 'Y', X);
        await script.settled();
        script.expect(retry, 'waiting', `${show(older)} holds Y now (granted when ${show(younger)} was aborted); releaseAll of an aborted transaction does nothing`);
      }
    }
  }
});

test('a cycle of three and a cycle of five: exactly one victim, the youngest, and every other member goes on', async () => {
  useVirtualTime();
  const random = streamFor('ring');
  for (const { shape, ids } of idShapes(random)) {
    for (const size of [3, 5]) {
      const members = shuffled(ids, random).slice(0, size);
      const keys = members.map((_, i) => `k${i}`);
      const script = new Script();
      // Start order = the order of members: each takes its own key.
      members.forEach((id, i) => script.acquire(id, keys[i]!, i % 2 === 0 ? X : S));
      // Then each asks for the next one's key, in a random order: the last closes the ring.
      const order = shuffled(members.map((_, i) => i), random);
      const waits = new Map<number, Tracked>();
      for (const i of order) waits.set(i, script.acquire(members[i]!, keys[(i + 1) % size]!, X));
      await script.settled();
      const youngest = size - 1;
      expectVictim(script, waits.get(youngest)!, members[youngest]!);
      // The member waiting for the victim's key gets it; the rest of the ring still waits, in turn.
      for (let i = 0; i < size - 1; i++) {
        const r = waits.get(i)!;
        const why = i === size - 2
          ? `${show(members[i])} was waiting for ${show(members[youngest])}, the victim, whose locks the manager released`
          : `${show(members[i])} waits for ${show(members[i + 1])}, which is alive: a cycle of ${size} has exactly one victim (ids ${shape})`;
        script.expect(r, i === size - 2 ? 'granted' : 'waiting', why);
      }
      for (let i = size - 2; i > 0; i--) {
        script.releaseAll(members[i]!);
        await script.settled();
        script.expect(waits.get(i - 1)!, 'granted', `releaseAll(${show(members[i])}) freed the key ${show(members[i - 1])} was waiting for`);
      }
    }
  }
});

test('upgrade deadlock: two shared holders both asking for exclusive form a cycle; the youngest of the two is aborted and the other upgrades', async () => {
  useVirtualTime();
  for (const [shape, older, younger] of pairs(streamFor('upgrade-deadlock'))) {
    for (const firstAsker of [older, younger]) {
      const script = new Script();
      script.acquire(older, 'x', S);
      script.acquire(younger, 'x', S);
      const second = firstAsker === older ? younger : older;
      const a = script.acquire(firstAsker, 'x', X);
      await script.settled();
      script.expect(a, 'waiting', `${show(second)} also holds x shared`);
      const b = script.acquire(second, 'x', X);
      await script.settled();
      const [olderUp, youngerUp] = firstAsker === older ? [a, b] : [b, a];
      expectVictim(script, youngerUp, younger);
      script.expect(olderUp, 'granted', `each upgrade waited for the other's shared lock; ${show(younger)} is the youngest (ids ${shape}) and its abort released its shared lock`);
    }
  }
  // Three holders: only the two upgrading are on the cycle, even though the third is the youngest.
  for (const [shape, older, younger] of pairs(streamFor('upgrade-three'))) {
    const third = `${older}·${younger}`;
    const script = new Script();
    script.acquire(older, 'x', S);
    script.acquire(younger, 'x', S);
    script.acquire(third, 'x', S);
    const a = script.acquire(older, 'x', X);
    const b = script.acquire(younger, 'x', X);
    await script.settled();
    expectVictim(script, b, younger);
    script.expect(a, 'waiting', `${show(third)} (the youngest of all, but on no cycle: it waits for nothing) still holds x shared (ids ${shape})`);
    script.releaseAll(third);
    await script.settled();
    script.expect(a, 'granted', `${show(older)} is now the only holder of x`);
  }
});

test('several disjoint deadlocks at once: exactly one victim per cycle, and a transaction waiting for a member of a cycle without being on it is not aborted', async () => {
  useVirtualTime();
  const random = streamFor('disjoint');
  for (const { shape, ids } of idShapes(random)) {
    const [a1, a2, b1, b2, c1, c2, c3, bystander] = shuffled(ids, random) as [string, string, string, string, string, string, string, string];
    const script = new Script();
    // Started in this order; the bystander is the youngest of all.
    script.acquire(a1, 'a1', X);
    script.acquire(a2, 'a2', X);
    script.acquire(b1, 'b1', S);
    script.acquire(b2, 'b2', X);
    script.acquire(c1, 'c1', X);
    script.acquire(c2, 'c2', X);
    script.acquire(c3, 'c3', X);
    script.acquire(bystander, 'own', X);
    const waitA1 = script.acquire(a1, 'a2', S);
    const waitB2 = script.acquire(b2, 'b1', X);
    const waitC1 = script.acquire(c1, 'c2', X);
    const waitC2 = script.acquire(c2, 'c3', S);
    const waitBystander = script.acquire(bystander, 'c2', S);
    await script.settled();
    for (const r of [waitA1, waitB2, waitC1, waitC2, waitBystander]) script.expect(r, 'waiting', `no cycle has formed yet (ids ${shape})`);
    const waitA2 = script.acquire(a2, 'a1', X);
    const waitB1 = script.acquire(b1, 'b2', S);
    const waitC3 = script.acquire(c3, 'c1', S);
    await script.settled();
    expectVictim(script, waitA2, a2);
    expectVictim(script, waitB2, b2);
    expectVictim(script, waitC3, c3);
    script.expect(waitA1, 'granted', `${show(a2)} was aborted and its locks released`);
    script.expect(waitB1, 'granted', `${show(b2)} (the younger of ${show(b1)} and ${show(b2)}, though the request of ${show(b1)} closed that cycle) was aborted and its locks released`);
    script.expect(waitC2, 'granted', `${show(c3)} was aborted and its locks released`);
    script.expect(waitC1, 'waiting', `${show(c1)} waits for ${show(c2)}, which is alive: one victim per cycle`);
    script.expect(waitBystander, 'waiting', `${show(bystander)} waits for ${show(c2)}, which is alive; it is on no cycle, so it is no victim though it is the youngest of all (ids ${shape})`);
  }
});

test('the victim is the youngest transaction on any cycle: when cycles overlap, victims are taken one at a time, the youngest on a cycle first, until no cycle is left', async () => {
  useVirtualTime();
  const random = streamFor('overlap');
  for (const { shape, ids } of idShapes(random)) {
    for (const aFirstOnK of [false, true]) {
      const [t, b, a] = shuffled(ids, random) as [string, string, string];
      const script = new Script();
      // Started in the order t, b, a (a is the youngest); a and b take k shared in either order.
      script.acquire(t, 'm', X);
      script.acquire(b, 'n', X);
      if (aFirstOnK) script.acquire(a, 'k', S);
      script.acquire(b, 'k', S);
      if (!aFirstOnK) script.acquire(a, 'k', S);
      const bWaits = script.acquire(b, 'm', X); // b → t
      const aWaits = script.acquire(a, 'n', S); // a → b
      await script.settled();
      script.expect(bWaits, 'waiting', `${show(t)} holds m exclusively`);
      script.expect(aWaits, 'waiting', `${show(b)} holds n exclusively`);
      // t → a and t → b: two cycles, t → b → t and t → a → b → t.
      const tWaits = script.acquire(t, 'k', X);
      await script.settled();
      const story =
        `the exclusive request of ${show(t)} on k closed two cycles, ${show(t)} → ${show(b)} → ${show(t)} and ${show(t)} → ${show(a)} → ${show(b)} → ${show(t)}; ` +
        `the youngest on a cycle is ${show(a)}, then on the cycle left ${show(b)} (started in the order ${show(t)}, ${show(b)}, ${show(a)}; ids ${shape})`;
      script.expect(aWaits, 'aborted', story);
      script.expect(bWaits, 'aborted', story);
      script.expect(tWaits, 'granted', `${show(a)} and ${show(b)} were aborted: ${show(t)} is the only holder of k left`);
    }
  }
});

test('a request waiting behind another waiting request waits for it: a cycle through a queue is a deadlock too', async () => {
  useVirtualTime();
  const random = streamFor('through-queue');
  for (const { shape, ids } of idShapes(random)) {
    for (const writerFirst of [true, false]) {
      const [holder, reader, writer] = shuffled(ids, random) as [string, string, string];
      const script = new Script();
      script.acquire(holder, 'x', S);
      const started = writerFirst ? [writer, reader] : [reader, writer];
      // The transactions start in the order holder, then started[0], then started[1].
      for (const id of started) script.acquire(id, id === reader ? 'z' : 'w', X);
      const writes = script.acquire(writer, 'x', X); // writer → holder
      const reads = script.acquire(reader, 'x', S); // reader → writer: queued behind its exclusive request
      await script.settled();
      script.expect(writes, 'waiting', `${show(holder)} holds x shared`);
      script.expect(reads, 'waiting', `the exclusive request of ${show(writer)} waits on x ahead of it`);
      const closes = script.acquire(holder, 'z', S); // holder → reader: a cycle through x's queue
      await script.settled();
      const cycle = `${show(holder)} → ${show(reader)} (holds z) → ${show(writer)} (its request waits ahead on x) → ${show(holder)} (holds x); started in the order ${[holder, ...started].map(show).join(', ')} (ids ${shape})`;
      const victim = started[1]!;
      if (victim === writer) {
        script.expect(writes, 'aborted', `the youngest on the cycle ${cycle}`);
        script.expect(reads, 'granted', `the aborted request of ${show(writer)} left the queue of x, and a shared request agrees with the shared lock of ${show(holder)}`);
        script.expect(closes, 'waiting', `${show(reader)} holds z exclusively and is alive`);
      } else {
        script.expect(reads, 'aborted', `the youngest on the cycle ${cycle}`);
        script.expect(closes, 'granted', `the abort of ${show(reader)} released z`);
        script.expect(writes, 'waiting', `${show(holder)} still holds x shared`);
      }
    }
  }
});

test("an aborted request leaves its queue: requests behind it that can now be granted are granted", async () => {
  useVirtualTime();
  for (const [shape, older, younger] of pairs(streamFor('leaves-queue'))) {
    const reader = `${younger}+`;
    const script = new Script();
    script.acquire(older, 'x', S);
    script.acquire(younger, 'Y', X);
    const writerWaits = script.acquire(younger, 'x', X); // younger → older
    const readerWaits = script.acquire(reader, 'x', S); // reader → younger (queued ahead)
    await script.settled();
    script.expect(readerWaits, 'waiting', `the exclusive request of ${show(younger)} is waiting on x ahead of it`);
    const olderWaits = script.acquire(older, 'Y', S); // older → younger: a cycle
    await script.settled();
    expectVictim(script, writerWaits, younger);
    script.expect(olderWaits, 'granted', `the abort of ${show(younger)} released Y`);
    script.expect(readerWaits, 'granted', `the aborted request of ${show(younger)} left the queue of x, and the shared request of ${show(reader)} agrees with the shared lock of ${show(older)} (ids ${shape})`);
  }
});

test('age counts from a transaction\'s first acquire, not its latest one; an id used again after releaseAll or an abort starts a new, youngest transaction', async () => {
  useVirtualTime();
  for (const [shape, older, younger] of pairs(streamFor('age'))) {
    // older keeps acquiring after younger started: it is still the older one.
    let script = new Script();
    script.acquire(older, 'x', X);
    script.acquire(younger, 'Y', X);
    script.acquire(older, 'p', S);
    script.acquire(older, 'q', X);
    let o = script.acquire(older, 'Y', S);
    let y = script.acquire(younger, 'x', S);
    await script.settled();
    expectVictim(script, y, younger);
    script.expect(o, 'granted', `${show(older)} started first (its first acquire came first; ids ${shape}), so it is not the youngest`);

    // older ends and starts again: now it is the younger one.
    script = new Script();
    script.acquire(older, 'old', X);
    script.acquire(younger, 'Y', X);
    script.releaseAll(older);
    script.acquire(older, 'x', X);
    o = script.acquire(older, 'Y', S);
    y = script.acquire(younger, 'x', S);
    await script.settled();
    expectVictim(script, o, older);
    script.expect(y, 'granted', `after releaseAll(${show(older)}), the next acquire of ${show(older)} started a new transaction, younger than ${show(younger)} (ids ${shape})`);

    // A victim that starts again is a new transaction too: younger than one that started before it.
    script = new Script();
    script.acquire(older, 'a', X);
    script.acquire(younger, 'b', X);
    const ow = script.acquire(older, 'b', S);
    const yw = script.acquire(younger, 'a', S);
    await script.settled();
    expectVictim(script, yw, younger);
    script.expect(ow, 'granted', `the abort of ${show(younger)} released b`);
    script.releaseAll(older);
    script.acquire(older, 'c', X);
    script.acquire(younger, 'd', X);
    o = script.acquire(older, 'd', S);
    y = script.acquire(younger, 'c', S);
    await script.settled();
    expectVictim(script, y, younger);
    script.expect(o, 'granted', `${show(younger)}, aborted once, started again after ${show(older)} started again: its new transaction is the youngest (ids ${shape})`);
  }
});
