// `learn-ds run message-queue`: two consumers on your queue. A is slow with its first message, whose
// visibility timeout ends while A still works on it: the message goes to B, A's late delete is
// refused, and the effect is written once. A poison message comes back after each timeout until the
// receive after its maxReceives-th delivery moves it to the dead letters.
import { demo, settle, show, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { Fleet } from './tests/consumers.ts';
import { Broker } from './tests/world.ts';

const LANE = 34;
const OPTIONS = { visibilityTimeoutMs: 1000, maxReceives: 3 };

demo('a slow consumer, a redelivery, a stale delete and a poison message on its way to the dead letters', async () => {
  useVirtualTime();
  const broker = new Broker(OPTIONS);
  await broker.start();
  const queue = broker.client();
  let aSlow = true;
  const fleet = new Fleet(broker, {
    delayMs: (who) => (who === 'A' && aSlow ? ((aSlow = false), 1500) : 100),
    poison: (id) => id === 'poison-7',
  });
  await queue.send('order-1', { sku: 'A-1', qty: 2 });
  await queue.send('poison-7', { sku: '??' });
  fleet.start('A');
  fleet.start('B');
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const moved = new Set<string>();
  const loop = async (name: string, startMs: number, everyMs: number) => {
    await sleep(startMs);
    while (virtualNow() < 5600) {
      await fleet.poll(name, 1);
      const dead = await queue.deadLetters();
      for (const d of dead) {
        if (!moved.has(d.id)) fleet.note('dead letters', `${show(d.id)} moved here (receiveCount ${d.receiveCount})`);
        moved.add(d.id);
      }
      await sleep(everyMs);
    }
  };
  const done = await settle(Promise.all([loop('A', 0, 700), loop('B', 1000, 700)]), 60_000);
  if (done.status === 'rejected') throw done.reason;
  const dead = await queue.deadLetters();

  const lanes = ['consumer A', 'consumer B', 'dead letters'];
  const header = `${'time'.padStart(7)}  ${lanes.map((l) => l.padEnd(LANE)).join('')}`.trimEnd();
  const rows = fleet.events.map((e) => {
    const lane = lanes.findIndex((l) => e.who.startsWith(l));
    const cells = lanes.map((_, i) => (i === lane ? e.text : '').padEnd(LANE)).join('');
    return `${`${e.atMs} ms`.padStart(7)}  ${cells}`.trimEnd();
  });
  const applied = fleet.db.effectCount('order-1');
  const stale = fleet.staleDeletes.find((d) => d.id === 'order-1');
  return [
    `visibilityTimeoutMs ${OPTIONS.visibilityTimeoutMs}, maxReceives ${OPTIONS.maxReceives}; A takes 1500 ms over its first message, everything else 100 ms`,
    '',
    header,
    ...rows,
    '',
    `order-1: effect written ${applied} time${applied === 1 ? '' : 's'} (once is right); A's late delete with its stale handle: ${stale ? 'false, as it must be' : 'not refused!'}`,
    `dead letters: ${show(dead)}`,
  ].join('\n');
});
