// The queue's rules one by one, on scripted runs: delivery and order, visibility timeouts at their
// edges, receipt handles, changeVisibility, receive counts and the dead letters, and a restart.
import { test } from 'vitest';
import { check, fail, show, virtualNow } from 'learn-ds/harness';
import type { Json, ReceivedMessage } from 'learn-ds/subject/message-queue';
import { BODIES, freshQueue, IDS, ids, must, receive, restart, until } from './helpers.ts';

const OPTIONS = { visibilityTimeoutMs: 1000, maxReceives: 3 };

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

test('receive delivers each message with its id and body, oldest send first, at most max at a time, receiveCount 1', async () => {
  const { queue } = await freshQueue(OPTIONS);
  const sent: Array<{ id: string; body: Json }> = IDS.map((id, i) => ({ id, body: BODIES[i % BODIES.length]! }));
  sent.push({ id: 'last-body-kinds', body: BODIES[BODIES.length - 1]! }, { id: 'Zz', body: BODIES[8]! }, { id: 'zz', body: BODIES[9]! });
  for (const m of sent) await must(queue.send(m.id, m.body), `send(${show(m.id)}, ${show(m.body)})`);
  const got: ReceivedMessage[] = [];
  for (const max of [1, 3, 2, 10]) {
    const batch = await receive(queue, max);
    const left = sent.length - got.length;
    check(batch.length === Math.min(max, left), () =>
      `receive(${max}) returned ${batch.length} messages (${ids(batch)}) with ${left} visible; expected ${Math.min(max, left)}: up to max, as many as are visible`);
    got.push(...batch);
  }
  sent.forEach((m, i) => {
    const g = got[i];
    check(g !== undefined && g.id === m.id, () =>
      `delivery ${i + 1} was ${show(g?.id)}; expected ${show(m.id)}: messages come oldest send first (sent: ${sent.map((s) => show(s.id)).join(', ')}; received: ${ids(got)})`);
    check(sameJson(g.body, m.body), () => `message ${show(m.id)} was delivered with body ${show(g.body)}; it was sent with ${show(m.body)}`);
    check(g.receiveCount === 1, () => `message ${show(m.id)} was delivered for the first time with receiveCount ${show(g.receiveCount)}; expected 1`);
    check(typeof g.receiptHandle === 'string', () => `message ${show(m.id)} came with receiptHandle ${show(g.receiptHandle)}; expected a string`);
  });
  const handles = new Set(got.map((g) => g.receiptHandle));
  check(handles.size === got.length, () => `${got.length} deliveries came with only ${handles.size} distinct receipt handles; every delivery needs its own`);
  const none = await receive(queue, 5);
  check(none.length === 0, () => `receive(5) right after every message was received returned ${ids(none)}; received messages are invisible until their visibility timeout ends`);
});

test('a received message stays invisible until its visibility timeout ends and is visible again exactly then (whole and fractional ms, and 0)', async () => {
  const { queue } = await freshQueue(OPTIONS);
  // [timeout given to receive (undefined: the default 1000), last ms still invisible, first ms visible]
  const cases: Array<[number | undefined, number, number]> = [[undefined, 999, 1000], [250, 249, 250], [250.5, 250, 251], [0.25, 0, 1], [1, 0, 1]];
  for (const [timeout, lastHidden, firstVisible] of cases) {
    const id = `vt-${timeout ?? 'default'}`;
    await must(queue.send(id, { timeout: timeout ?? null }), `send(${show(id)}, …)`);
    const start = virtualNow();
    const first = await receive(queue, 1, timeout);
    check(first.length === 1 && first[0]!.id === id, () => `receive(1) returned ${ids(first)}; expected [${show(id)}], the only message`);
    const given = timeout === undefined ? 'the default visibilityTimeoutMs 1000' : `visibilityTimeoutMs ${timeout}`;
    await until(start + lastHidden);
    const early = await receive(queue, 1);
    check(early.length === 0, () => `message ${show(id)} received at ${start} ms with ${given} was delivered again at ${virtualNow()} ms; it stays invisible until ${start + (timeout ?? 1000)} ms`);
    await until(start + firstVisible);
    const again = await receive(queue, 1);
    check(again.length === 1 && again[0]!.id === id, () =>
      `message ${show(id)} received at ${start} ms with ${given} was not delivered again at ${virtualNow()} ms (receive returned ${ids(again)}); it is visible again once ${timeout ?? 1000} ms have passed`);
    check(again[0]!.receiveCount === 2, () => `message ${show(id)} delivered a second time came with receiveCount ${show(again[0]!.receiveCount)}; expected 2`);
    const redelivered = await receive(queue, 1);
    check(redelivered.length === 0, () =>
      `message ${show(id)}, delivered again at ${virtualNow()} ms, was returned once more by the next receive at the same ms; a redelivered message is hidden again for a new visibility timeout from its new delivery`);
    await must(queue.delete(again[0]!.receiptHandle), 'delete(the current handle)');
  }
  // A timeout of 0: visible again at the same millisecond.
  await must(queue.send('zero', 'z'), "send('zero', 'z')");
  const a = await receive(queue, 1, 0);
  const b = await receive(queue, 1, 0);
  check(a.length === 1 && b.length === 1 && b[0]!.id === 'zero', () =>
    `with visibilityTimeoutMs 0, a second receive at the same ms returned ${ids(b)}; expected ['zero'] again: a timeout of 0 hides the message for no time at all`);
  check(b[0]!.receiveCount === 2, () => `the second delivery of 'zero' came with receiveCount ${show(b[0]!.receiveCount)}; expected 2`);
});

test('every delivery gets a new receipt handle, and only the latest one deletes: a stale handle returns false and deletes nothing', async () => {
  const { queue } = await freshQueue(OPTIONS);
  for (const id of ['slow', 'other']) await must(queue.send(id, `body of ${id}`), `send(${show(id)})`);
  const [first] = await receive(queue, 1);
  await until(1000);
  const [second] = await receive(queue, 1);
  check(first && second && second.id === 'slow', () => `after the visibility timeout, receive(1) returned ${show(second?.id)}; expected 'slow' again`);
  check(second.receiptHandle !== first.receiptHandle, () => `the second delivery of 'slow' came with the same receipt handle as the first (${show(first.receiptHandle)}); every delivery needs a new one`);
  const stale = await must(queue.delete(first.receiptHandle), 'delete(the handle of the first delivery)');
  check(stale === false, () =>
    `a slow consumer deleted with the handle of the first delivery of 'slow' after it had been delivered again: delete returned ${show(stale)}; expected false, and the redelivered copy kept`);
  const staleChange = await must(queue.changeVisibility(first.receiptHandle, 0), 'changeVisibility(the stale handle, 0)');
  check(staleChange === false, () => `changeVisibility with the stale handle of 'slow' returned ${show(staleChange)}; expected false`);
  const hidden = await receive(queue, 2);
  check(hidden.every((m) => m.id !== 'slow'), () =>
    `after delete and changeVisibility(…, 0) with the stale handle, receive returned 'slow' again (${ids(hidden)}): the stale handle changed the redelivered copy; it must change nothing`);
  const current = await must(queue.delete(second.receiptHandle), 'delete(the current handle)');
  check(current === true, () => `delete with the current handle of 'slow' returned ${show(current)}; expected true`);
  const twice = await must(queue.delete(second.receiptHandle), 'delete(the same handle again)');
  check(twice === false, () => `delete with a handle whose message was already deleted returned ${show(twice)}; expected false`);
  const unknown = await must(queue.delete('no-such-handle'), "delete('no-such-handle')");
  check(unknown === false, () => `delete('no-such-handle') returned ${show(unknown)}; expected false`);
  // The current handle still deletes after its timeout ended, as long as nobody received the message again.
  const [o] = hidden.filter((m) => m.id === 'other');
  check(o !== undefined, () => `receive returned ${ids(hidden)}; expected 'other' among them`);
  await until(virtualNow() + 5000);
  const late = await must(queue.delete(o.receiptHandle), 'delete(a handle whose visibility timeout ended, before any new receive)');
  check(late === true, () =>
    `delete with the handle of 'other' after its visibility timeout ended, but before anyone received it again, returned ${show(late)}; expected true: a handle is current until the next delivery`);
  const empty = await receive(queue, 5);
  check(empty.length === 0, () => `every message was deleted, yet receive returned ${ids(empty)}`);
});

test('changeVisibility with the current handle hides the message for the given ms from now (0: visible at once); a stale handle returns false', async () => {
  const { queue } = await freshQueue(OPTIONS);
  await must(queue.send('job', { step: 1 }), "send('job')");
  const [m] = await receive(queue, 1);
  await until(500);
  const longer = await must(queue.changeVisibility(m!.receiptHandle, 5000), 'changeVisibility(handle, 5000) at 500 ms');
  check(longer === true, () => `changeVisibility with the current handle returned ${show(longer)}; expected true`);
  await until(5499);
  const early = await receive(queue, 1);
  check(early.length === 0, () =>
    `changeVisibility(handle, 5000) at 500 ms should hide 'job' until 5500 ms, but receive returned it at ${virtualNow()} ms (its original timeout ended at 1000 ms): changeVisibility had no effect`);
  await until(5500);
  const [again] = await receive(queue, 1);
  check(again?.id === 'job', () => `at 5500 ms, 5000 ms after changeVisibility(handle, 5000), receive returned ${show(again?.id)}; expected 'job'`);
  const now = await must(queue.changeVisibility(again.receiptHandle, 0), 'changeVisibility(handle, 0)');
  check(now === true, () => `changeVisibility(handle, 0) returned ${show(now)}; expected true`);
  const [third] = await receive(queue, 1);
  check(third?.id === 'job' && third.receiveCount === 3, () =>
    `after changeVisibility(handle, 0), receive at the same ms returned ${show(third?.id)} (receiveCount ${show(third?.receiveCount)}); expected 'job' with receiveCount 3`);
  const stale = await must(queue.changeVisibility(again.receiptHandle, 0), 'changeVisibility(the stale handle, 0)');
  check(stale === false, () => `changeVisibility with the handle of an earlier delivery returned ${show(stale)}; expected false`);
  const still = await receive(queue, 1);
  check(still.length === 0, () => `changeVisibility(stale handle, 0) made 'job' visible again (receive returned ${ids(still)}); a stale handle changes nothing`);
});

test('a message delivered maxReceives times moves to the dead letters on the next receive, not one receive earlier or later', async () => {
  for (const maxReceives of [1, 2, 3]) {
    const { queue } = await freshQueue({ visibilityTimeoutMs: 100, maxReceives });
    await must(queue.send('poison', { bad: true }), "send('poison')");
    await must(queue.send('fine', 'ok'), "send('fine')");
    const counts: number[] = [];
    for (let n = 1; n <= maxReceives; n++) {
      const got = await receive(queue, 1);
      check(got[0]?.id === 'poison', () =>
        `with maxReceives ${maxReceives}, receive number ${n} of 'poison' returned ${ids(got)}; expected 'poison' (it may be delivered ${maxReceives} times before it moves to the dead letters)`);
      counts.push(got[0].receiveCount);
      const dead = await must(queue.deadLetters(), 'deadLetters()');
      check(Array.isArray(dead) && dead.length === 0, () =>
        `with maxReceives ${maxReceives}, after ${n} deliveries deadLetters() returned ${show(dead)}; expected []: a message moves only on the receive after its ${maxReceives}th delivery`);
      await until(virtualNow() + 100);
    }
    check(sameJson(counts, Array.from({ length: maxReceives }, (_, i) => i + 1)), () => `the deliveries of 'poison' came with receive counts ${show(counts)}; expected 1, 2, …`);
    const next = await receive(queue, 1);
    check(next.length === 1 && next[0]!.id === 'fine', () =>
      `with maxReceives ${maxReceives}, receive number ${maxReceives + 1} returned ${ids(next)}; expected ['fine']: 'poison' (delivered ${maxReceives === 1 ? 'once' : `${maxReceives} times`}) moves to the dead letters instead, and the receive goes on to the next message`);
    const dead = await must(queue.deadLetters(), 'deadLetters()');
    check(sameJson(dead, [{ id: 'poison', body: { bad: true }, receiveCount: maxReceives }]), () =>
      `with maxReceives ${maxReceives}, deadLetters() after that receive returned ${show(dead)}; expected [{ id: 'poison', body: { bad: true }, receiveCount: ${maxReceives} }]`);
    await until(virtualNow() + 100);
    const after = await receive(queue, 5);
    check(after.every((m) => m.id !== 'poison'), () => `'poison' was delivered again after it moved to the dead letters (${ids(after)})`);
  }
});

test('a restart keeps everything: waiting and in-flight messages with their handles and receive counts, the order, and the dead letters', async () => {
  const { broker, queue } = await freshQueue({ visibilityTimeoutMs: 1000, maxReceives: 2 });
  for (const id of ['dead', 'in-flight', 'waiting-1', 'waiting-2']) await must(queue.send(id, { id }), `send(${show(id)})`);
  const first = await receive(queue, 2);
  check(sameJson(first.map((m) => m.id), ['dead', 'in-flight']), () => `receive(2) returned ${ids(first)}; expected ['dead', 'in-flight']`);
  const inFlight = first[1]!;
  await until(500);
  const moved = await must(queue.changeVisibility(inFlight.receiptHandle, 2000), "changeVisibility(handle of 'in-flight', 2000) at 500 ms");
  check(moved === true, () => `changeVisibility with the current handle of 'in-flight' returned ${show(moved)}; expected true`);
  await until(1000);
  const second = await receive(queue, 1);
  check(second[0]?.id === 'dead', () => `at 1000 ms, receive(1) returned ${ids(second)}; expected ['dead'] again`);
  await until(2000);
  const third = await receive(queue, 1);
  check(third[0]?.id === 'waiting-1', () => `at 2000 ms, receive(1) returned ${ids(third)}; expected ['waiting-1'] ('dead', delivered maxReceives 2 times, moves to the dead letters on the way)`);
  const handlesBefore = new Set([...first, ...second, ...third].map((m) => m.receiptHandle));
  await restart(broker);
  const dead = await must(queue.deadLetters(), 'deadLetters() after a restart');
  check(sameJson(dead, [{ id: 'dead', body: { id: 'dead' }, receiveCount: 2 }]), () => `after a restart, deadLetters() returned ${show(dead)}; expected [{ id: 'dead', body: { id: 'dead' }, receiveCount: 2 }]`);
  const hidden = await receive(queue, 5);
  check(sameJson(hidden.map((m) => m.id), ['waiting-2']), () =>
    `right after a restart at 2000 ms, receive(5) returned ${ids(hidden)}; expected ['waiting-2']: 'in-flight' stays invisible until 2500 ms (changeVisibility) and 'waiting-1' until 3000 ms, as before the restart`);
  check(!handlesBefore.has(hidden[0]!.receiptHandle), () =>
    `after a restart, 'waiting-2' was delivered with receipt handle ${show(hidden[0]!.receiptHandle)}, which an earlier delivery before the restart already had; handles must never repeat, even after a restart (a counter kept in memory starts again)`);
  const ok = await must(queue.delete(hidden[0]!.receiptHandle), 'delete(handle received after the restart)');
  check(ok === true, () => `delete with a handle received after the restart returned ${show(ok)}; expected true`);
  await restart(broker);
  const stale = await must(queue.delete(first[0]!.receiptHandle), "delete(the first delivery's handle of 'dead') after a restart");
  check(stale === false, () => `after a restart, delete with the handle of an earlier delivery of 'dead' (now a dead letter) returned ${show(stale)}; expected false`);
  await until(2500);
  const back = await receive(queue, 5);
  check(back.length === 1 && back[0]!.id === 'in-flight', () => `at 2500 ms, after two restarts, receive returned ${ids(back)}; expected ['in-flight'], visible again as changeVisibility said`);
  check(back[0]!.receiveCount === 2, () =>
    `'in-flight', delivered once before the restarts, came back with receiveCount ${show(back[0]!.receiveCount)}; expected 2: receive counts survive a restart`);
  check(back[0]!.receiptHandle !== inFlight.receiptHandle, () =>
    `after restarts, 'in-flight' was delivered again with ${show(inFlight.receiptHandle)}, the handle of its earlier delivery; every delivery needs a new one, even after a restart`);
  const gone = await must(queue.delete(inFlight.receiptHandle), "delete(the first delivery's handle of 'in-flight')");
  check(gone === false, () => `delete with the handle of the first delivery of 'in-flight', after its second delivery, returned ${show(gone)}; expected false`);
  const kept = await must(queue.delete(third[0]!.receiptHandle), "delete(handle of 'waiting-1' received before the restarts)");
  check(kept === true, () => `delete with the handle 'waiting-1' was received with before two restarts returned ${show(kept)}; expected true: a handle stays current across a restart until the next delivery`);
  const last = await must(queue.delete(back[0]!.receiptHandle), "delete(current handle of 'in-flight')");
  check(last === true, () => `delete with the current handle of 'in-flight' returned ${show(last)}; expected true`);
});
