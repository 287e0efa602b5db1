// The idempotent consumer on scripted runs: effects and deletes in the right order, a poison message
// left for redelivery, a crash after each of its steps, and a slow consumer racing a redelivery.
import { test } from 'vitest';
import { advance, check, fail, show, virtualNow } from 'learn-ds/harness';
import type { Json } from 'learn-ds/subject/message-queue';
import { Fleet, type Behaviour } from './consumers.ts';
import { BODIES, freshQueue, IDS, ids, must, receive } from './helpers.ts';

const OPTIONS = { visibilityTimeoutMs: 1000, maxReceives: 5 };

function applied(fleet: Fleet, id: string): number {
  return fleet.db.effectCount(id);
}

/** Polls until `done` or `rounds` polls, a visibility timeout apart; restarts a crashed consumer. */
async function pollUntil(fleet: Fleet, name: string, rounds: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    const outcome = await must(fleet.poll(name, 3), `consumer ${name}'s poll(3) at ${virtualNow()} ms`);
    if (outcome === 'crashed') fleet.start(name);
    await advance(OPTIONS.visibilityTimeoutMs);
  }
}

test("the consumer writes each message's effect, then deletes it; a message whose processing throws is left to come back", async () => {
  const { broker, queue } = await freshQueue(OPTIONS);
  const sent = IDS.map((id, i) => ({ id, body: BODIES[(i * 3) % BODIES.length]! }));
  const poisonId = 'MSG-1';
  const fleet = new Fleet(broker, { delayMs: () => 10, poison: (id) => id === poisonId });
  for (const m of sent) await must(queue.send(m.id, m.body), `send(${show(m.id)})`);
  fleet.start('A');
  for (let round = 0; round < 3; round++) {
    const outcome = await must(fleet.poll('A', 3), `consumer A's poll(3)`);
    check(outcome === 'ok', () => `consumer A's poll(3) did not resolve (${outcome}) in a run without a crash`, fleet.story());
  }
  const early = fleet.earlyDeletes[0];
  check(early === undefined, () =>
    `the consumer deleted message ${show(early)} before its effect was written: a crash between the two would lose it; write the effect, then delete`, fleet.story());
  for (const m of sent) {
    const n = applied(fleet, m.id);
    if (m.id === poisonId) {
      check(n === 0, () => `message ${show(m.id)}, whose processing threw, had its effect written ${n} times; expected none`, fleet.story());
      continue;
    }
    check(n === 1, () => `message ${show(m.id)} had its effect written ${n} times after 3 polls without any crash; expected once`, fleet.story());
    const seen = fleet.seen.get(m.id) ?? [];
    check(JSON.stringify(seen[0]) === JSON.stringify(m.body), () =>
      `process() was given message ${show(m.id)} with body ${show(seen[0])}; it was sent with ${show(m.body)}`);
  }
  await advance(OPTIONS.visibilityTimeoutMs);
  const left = await receive(queue, 10);
  check(left.length === 1 && left[0]!.id === poisonId, () =>
    `after the polls, receive returned ${ids(left)}; expected only [${show(poisonId)}]: processed messages deleted, and the one whose processing threw left in the queue for redelivery`, fleet.story());
  check(left[0]!.receiveCount === 2, () => `the failed message came back with receiveCount ${left[0]!.receiveCount}; expected 2`);
});

/** The crash run: four messages, one poison; consumer A crashes right after its step k, restarts and goes on. */
async function crashRun(k: number): Promise<{ fleet: Fleet; crashed: boolean; sent: Array<{ id: string; body: Json }>; poisonId: string; left: string[] }> {
  const { broker, queue } = await freshQueue(OPTIONS);
  const sent = [
    { id: 'order-1', body: 'first' as Json },
    { id: 'Order-1', body: { amount: 12.5 } as Json },
    { id: 'poison-ÿ', body: '' as Json },
    { id: 'toString', body: [] as Json },
  ];
  const poisonId = 'poison-ÿ';
  const behaviour: Behaviour = { delayMs: () => 50, poison: (id) => id === poisonId };
  const fleet = new Fleet(broker, behaviour);
  for (const m of sent) await must(queue.send(m.id, m.body), `send(${show(m.id)})`);
  fleet.start('A');
  const life = fleet.life('A');
  life.crashAt = k;
  const first = await must(fleet.poll('A', 4), "consumer A's first poll(4)");
  const crashed = first === 'crashed';
  if (crashed) fleet.start('A');
  await advance(OPTIONS.visibilityTimeoutMs);
  await pollUntil(fleet, 'A', 8, () => false);
  await advance(OPTIONS.visibilityTimeoutMs);
  const dead = (await must(queue.deadLetters(), 'deadLetters()')).map((d) => `${show(d.id)} (in the dead letters)`);
  const left = [...(await receive(queue, 10, 0)).map((m) => show(m.id)), ...dead].filter((id) => !id.startsWith(show(poisonId)));
  return { fleet, crashed, sent, poisonId, left };
}

test('a consumer crash right after any of its steps (a receive, a write, a delete) loses no message and applies none twice', async () => {
  for (let k = 1; k <= 60; k++) {
    const { fleet, crashed, sent, poisonId, left } = await crashRun(k);
    const where = `consumer A crashed right after its step ${k} (steps: each queue call that returned, each database write applied) and restarted`;
    for (const m of sent) {
      if (m.id === poisonId) continue;
      const n = applied(fleet, m.id);
      if (n === 0) fail(`${where}: message ${show(m.id)} was never applied, yet it is gone from the queue: lost. Delete only after the effect is written, and write the effect and its dedup record together`, fleet.story());
      if (n > 1) fail(`${where}: message ${show(m.id)} was applied ${n} times: processed twice. Write the effect and its dedup record in one write, so that a crash leaves both or neither`, fleet.story());
    }
    const stuck = left[0];
    if (stuck !== undefined) {
      fail(`${where}: message ${stuck} was applied, yet it was not deleted after 8 more polls: when a redelivered message was already applied, delete it anyway`, fleet.story());
    }
    if (!crashed) break;
  }
});

test('a slow consumer whose message was redelivered meanwhile applies nothing a second time, and its late delete returns false', async () => {
  // [A's processing time, B's processing time]: B finishes first, then A first.
  for (const [slowA, slowB] of [[1500, 100], [1500, 1000]] as const) {
    const { broker, queue } = await freshQueue(OPTIONS);
    const fleet = new Fleet(broker, { delayMs: (who) => (who === 'A' ? slowA : slowB), poison: () => false });
    await must(queue.send('charge-42', { amount: 42 }), "send('charge-42')");
    fleet.start('A');
    fleet.start('B');
    const a = fleet.poll('A', 1);
    await advance(OPTIONS.visibilityTimeoutMs);
    const b = fleet.poll('B', 1);
    const outcomes = await must(Promise.all([a, b]), 'the two polls');
    check(outcomes.every((o) => o === 'ok'), () => `the polls of A and B ended ${show(outcomes)}; expected both to resolve`, fleet.story());
    const story = `consumer A received 'charge-42' at 0 ms and took ${slowA} ms to process it; its visibility timeout (1000 ms) ended meanwhile and consumer B received it again at 1000 ms, taking ${slowB} ms`;
    const n = applied(fleet, 'charge-42');
    check(n === 1, () =>
      `${story}: the effect was written ${n} times; expected once. Checking the dedup record before processing is not enough when two consumers process one message side by side: make the write conditional on the record being absent`, fleet.story());
    const stale = fleet.staleDeletes.find((d) => d.who === 'consumer A');
    check(stale !== undefined, () => `${story}: A's delete with its stale handle should have returned false (B's delivery is the current one)`, fleet.story());
    await advance(OPTIONS.visibilityTimeoutMs * 3);
    const left = await receive(queue, 5);
    check(left.length === 0, () => `${story}: afterwards receive returned ${ids(left)}; expected nothing: the message was processed and deleted`, fleet.story());
  }
});
