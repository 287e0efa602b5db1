// Seeded runs of the whole system: three consumers polling side by side, one of them slow at first,
// a consumer crash and a broker crash at drawn moments, poison messages among the others. Judged
// against the model at the end: nothing acknowledged lost, nothing applied twice, and the dead
// letters hold exactly the poison messages.
import { test } from 'vitest';
import { advance, check, fail, freshVirtualTime, settle, show, streamFor } from 'learn-ds/harness';
import type { Json } from 'learn-ds/subject/message-queue';
import { Fleet } from './consumers.ts';
import { BODIES, must } from './helpers.ts';
import { Broker } from './world.ts';

const OPTIONS = { visibilityTimeoutMs: 1000, maxReceives: 5 };
const RUNS = 6;
// Every run is quiet (no write to the broker's disk or the consumers' database) by 7.93 s at the latest
// (seeds 1-20, the reference, two other correct queues and the mutants these checks catch): twice that fits.
const RUN_MS = 16_000;
const CONSUMERS = ['A', 'B', 'C'];

/** An id of a drawn shape: sequential, random, mixed case, non-ASCII. */
function drawId(random: () => number, n: number): string {
  const hex = () => Math.floor(random() * 0xffffff).toString(16).padStart(6, '0');
  switch (n % 4) {
    case 0: return `order-${n}`;
    case 1: return hex();
    case 2: return `Job-${hex().toUpperCase()}-${n}`;
    default: return `заказ-${n}-ü`;
  }
}

interface RunResult {
  fleet: Fleet;
  sent: Map<string, Json>;
  uncertain: Set<string>;
  poison: Set<string>;
  dead: string[];
  left: string[];
  label: string;
}

async function playRun(run: number): Promise<RunResult> {
  freshVirtualTime();
  const random = streamFor(`message-queue scenario ${run}`);
  const broker = new Broker(OPTIONS);
  await must(broker.start(), 'openQueue() on an empty disk');
  const ids = Array.from({ length: 12 }, (_, n) => drawId(random, n + run * 12));
  const poison = new Set([ids[1 + Math.floor(random() * 5)]!, ids[6 + Math.floor(random() * 5)]!]);
  // C is slow (longer than the visibility timeout) for its first two messages: they come back to others.
  let slowLeft = 2;
  const fleet = new Fleet(broker, {
    delayMs: (who) => (who === 'C' && slowLeft-- > 0 ? 1500 : 100),
    poison: (id) => poison.has(id),
  });
  const sent = new Map<string, Json>();
  const uncertain = new Set<string>();
  const client = broker.client();
  const send = async (id: string) => {
    const body = BODIES[ids.indexOf(id) % BODIES.length]!;
    const outcome = await settle(client.send(id, body));
    if (outcome.status === 'fulfilled') sent.set(id, body);
    else uncertain.add(id);
  };
  for (const id of ids.slice(0, 10)) await send(id);

  // The faults, drawn: one consumer crashes right after a drawn step, the broker after a drawn write.
  const victim = CONSUMERS[Math.floor(random() * CONSUMERS.length)]!;
  const consumerCrashAt = 600 + Math.floor(random() * 3000);
  const consumerSteps = 1 + Math.floor(random() * 4);
  const brokerCrashAt = 1000 + Math.floor(random() * 4000);
  const brokerWrites = 1 + Math.floor(random() * 3);
  const label = `run ${run}: consumer ${victim} crashes after its step ${consumerSteps} from ${consumerCrashAt} ms; the broker after its write ${brokerWrites} from ${brokerCrashAt} ms`;

  let stopped = false;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const loop = async (name: string) => {
    fleet.start(name);
    await sleep(CONSUMERS.indexOf(name) * 40);
    while (!stopped) {
      if ((await fleet.poll(name, 2)) === 'crashed') {
        await sleep(200);
        fleet.start(name);
      }
      await sleep(150);
    }
  };
  const loops = CONSUMERS.map(loop);
  setTimeout(() => {
    const life = fleet.life(victim);
    life.crashAt = life.count + consumerSteps;
  }, consumerCrashAt);
  setTimeout(() => {
    broker.crashAfterWrites(brokerWrites);
    broker.life!.died.catch(() => {
      fleet.note('broker', 'crashed; restarts in 300 ms');
      setTimeout(() => void broker.start().then(() => fleet.note('broker', 'restarted: openQueue() on its disk')), 300);
    });
  }, brokerCrashAt);
  setTimeout(() => {
    for (const id of ids.slice(10)) void send(id);
  }, 2500);
  await advance(RUN_MS);
  stopped = true;
  const ended = await settle(Promise.all(loops), 60_000);
  if (ended.status !== 'fulfilled') fail(`${label}: the consumers' polls did not end within a minute after the run (${ended.status})`, fleet.story());

  // A last restart, then what the broker holds.
  broker.crash();
  await must(broker.start(), 'openQueue() after the run');
  const dead = (await must(client.deadLetters(), 'deadLetters() after the run')).map((d) => d.id);
  await advance(100_000);
  const left = (await must(client.receive(10, 1_000_000_000), 'receive(10) after the run')).map((m) => m.id);
  return { fleet, sent, uncertain, poison, dead, left, label };
}

let results: Promise<RunResult[]> | undefined;
/** The runs are played once and judged by each check below. */
async function runs(): Promise<RunResult[]> {
  const all: RunResult[] = [];
  for (let run = 0; run < RUNS; run++) all.push(await playRun(run));
  return all;
}

test('seeded runs with three consumers, a slow one, a consumer crash and a broker crash: every acknowledged message is applied exactly once', async () => {
  results = runs();
  for (const r of await results) {
    for (const [id, body] of r.sent) {
      if (r.poison.has(id)) continue;
      const n = r.fleet.db.effectCount(id);
      if (n === 0) {
        const where = r.left.includes(id) ? `it is still in the queue after ${RUN_MS / 1000} s` : r.dead.includes(id) ? 'it went to the dead letters' : 'the queue no longer has it';
        fail(`${r.label}: message ${show(id)} was acknowledged by send() but never applied; ${where}`, r.fleet.story(40, id));
      }
      if (n > 1) fail(`${r.label}: message ${show(id)} was applied ${n} times; the idempotent consumer applies each message exactly once`, r.fleet.story(40, id));
      const seen = r.fleet.seen.get(id) ?? [];
      const wrong = seen.find((b) => JSON.stringify(b) !== JSON.stringify(body));
      check(wrong === undefined, () => `${r.label}: message ${show(id)} reached process() with body ${show(wrong)}; it was sent with ${show(body)}`);
    }
    for (const id of r.uncertain) {
      const n = r.fleet.db.effectCount(id);
      if (n > 1) fail(`${r.label}: message ${show(id)} (its send cut by the crash) was applied ${n} times`, r.fleet.story(40, id));
    }
    const stuck = r.left.filter((id) => !r.poison.has(id));
    check(stuck.length === 0, () => `${r.label}: after ${RUN_MS / 1000} s every message was processed, yet the queue still held ${show(stuck)}: processed messages are deleted`, r.fleet.story(40, ...stuck));
  }
});

test('in the seeded runs, the dead letters hold exactly the poison messages, each after maxReceives deliveries', async () => {
  results ??= runs();
  for (const r of await results) {
    const expected = [...r.poison].filter((id) => r.sent.has(id));
    const missing = expected.filter((id) => !r.dead.includes(id));
    const extra = r.dead.filter((id) => !r.poison.has(id));
    check(missing.length === 0 && extra.length === 0, () =>
      `${r.label}: the dead letters held ${show(r.dead)}; expected exactly the poison messages ${show(expected)}${missing.length > 0 ? ` (missing ${show(missing)})` : ''}${extra.length > 0 ? ` (not poison: ${show(extra)})` : ''}`, r.fleet.story(40, ...missing, ...extra));
  }
});
