// Durability: one scripted run of the queue, replayed with a broker crash after each of its writes
// to storage, and again right after each call resolved (writes still in flight are lost then). After
// each crash the broker starts again on its disk and the checks drain it: every acknowledged message
// must still be there, waiting, in flight or dead-lettered, no acknowledged delete may come back, and
// no receive count may go back.
import { test } from 'vitest';
import { advance, fail, freshVirtualTime, show, virtualNow } from 'learn-ds/harness';
import type { Json, MessageQueue, ReceivedMessage } from 'learn-ds/subject/message-queue';
import { must, until } from './helpers.ts';
import { Broker, Crash } from './world.ts';

const OPTIONS = { visibilityTimeoutMs: 1000, maxReceives: 2 };
const SENT: Array<[string, Json]> = [['a', 'α-body ✓'], ['B', {}], ['c', ''], ['Ünïcødé-d', { n: 4, tags: ['x'] }]];

/** What the script knows once a call was acknowledged (it resolved before the crash). */
interface Model {
  sent: Set<string>;
  deleted: Set<string>;
  /** The receive count of the latest acknowledged delivery. */
  count: Map<string, number>;
  /** Moved to the dead letters by an acknowledged receive. */
  dead: Set<string>;
  /** The call the crash cut, whose effect may or may not have happened. */
  cut: string | undefined;
  cutIds: Set<string>;
  done: string[];
}

class Stopped extends Error {}

const times = (n: number) => (n === 1 ? 'once' : `${n} times`);

type Plan = { after: 'write'; k: number } | { after: 'call'; k: number };

type Kind = 'lost' | 'resurrected' | 'count';
interface Violation {
  kind: Kind;
  message: string;
}

async function runScript(broker: Broker, plan: Plan, model: Model): Promise<'crashed' | 'completed'> {
  const queue = broker.client();
  let calls = 0;
  // `acknowledged` updates the model as soon as the call resolved, before a crash planned right after it.
  const op = async <T>(label: string, ids: string[], work: (q: MessageQueue) => Promise<T>, acknowledged: (value: T) => void = () => undefined): Promise<T> => {
    const settled = await must(
      work(queue).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      label,
    );
    if (!settled.ok) {
      // Cut by the crash, or refused because the broker had crashed already (after a write that
      // landed once the previous call had resolved).
      if (settled.error instanceof Crash || broker.life?.dead) {
        model.cut = label;
        for (const id of ids) model.cutIds.add(id);
        throw new Stopped();
      }
      fail(`${label} rejected with ${show(settled.error)} in a run without a crash so far; expected it to resolve`);
    }
    model.done.push(label);
    acknowledged(settled.value);
    calls++;
    if (plan.after === 'call' && calls === plan.k) {
      if (!broker.life?.dead) fail(`learn-ds bug: the broker should have crashed as call ${calls} resolved`);
      throw new Stopped();
    }
    return settled.value;
  };
  const expectIds = (label: string, got: ReceivedMessage[], want: string[]) => {
    const have = got.map((m) => m.id);
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      fail(`in the durability script, ${label} returned ${show(have)}; expected ${show(want)} (the checks of the queue's rules say why)`);
    }
    for (const m of got) model.count.set(m.id, m.receiveCount);
  };
  const handles = new Map<string, string>();
  const remember = (got: ReceivedMessage[]) => got.forEach((m) => handles.set(m.id, m.receiptHandle));

  if (plan.after === 'write') broker.crashAfterWrites(plan.k);
  else broker.crashAfterCalls(plan.k);
  try {
    for (const [id, body] of SENT) {
      await op(`send(${show(id)}, ${show(body)})`, [id], (q) => q.send(id, body), () => model.sent.add(id));
    }
    const receiveExpecting = (label: string, ids: string[], want: string[], work: (q: MessageQueue) => Promise<ReceivedMessage[]>, dead?: string) =>
      op(label, ids, work, (got) => {
        expectIds(label, got, want);
        remember(got);
        if (dead) model.dead.add(dead);
      });
    await receiveExpecting('receive(2) at 0 ms', ['a', 'B'], ['a', 'B'], (q) => q.receive(2));
    await op("delete(handle of 'a')", ['a'], (q) => q.delete(handles.get('a')!), () => model.deleted.add('a'));
    await op("changeVisibility(handle of 'B', 3000)", ['B'], (q) => q.changeVisibility(handles.get('B')!, 3000));
    await until(1000);
    await receiveExpecting('receive(2) at 1000 ms', ['c', 'Ünïcødé-d'], ['c', 'Ünïcødé-d'], (q) => q.receive(2));
    await until(2000);
    await receiveExpecting('receive(1) at 2000 ms', ['c'], ['c'], (q) => q.receive(1));
    await until(3000);
    await receiveExpecting("receive(5) at 3000 ms ('c' goes to the dead letters)", ['B', 'c', 'Ünïcødé-d'], ['B', 'Ünïcødé-d'], (q) => q.receive(5), 'c');
    await op("delete(handle of 'Ünïcødé-d')", ['Ünïcødé-d'], (q) => q.delete(handles.get('Ünïcødé-d')!), () => model.deleted.add('Ünïcødé-d'));
    await op("send('e', 'late')", ['e'], (q) => q.send('e', 'late'), () => model.sent.add('e'));
    return 'completed';
  } catch (error) {
    if (error instanceof Stopped) return 'crashed';
    throw error;
  }
}

/** Restarts the broker and reads everything it holds; returns what breaks the rules. */
async function judge(broker: Broker, model: Model, where: string): Promise<Violation[]> {
  const found: Violation[] = [];
  const at = `${where} (calls acknowledged before it: ${model.done.length === 0 ? 'none' : model.done.join('; ')}${model.cut ? `; cut by the crash: ${model.cut}` : ''})`;
  await must(broker.start(), `openQueue() after ${where}`);
  const queue = broker.client();
  const deadNow = await must(queue.deadLetters(), 'deadLetters() after the restart');
  const deadIds = new Set(deadNow.map((d) => d.id));
  for (const id of model.dead) {
    if (!deadIds.has(id)) found.push({ kind: 'lost', message: `after a restart that followed ${at}, dead letter ${show(id)} was no longer among deadLetters() (${show([...deadIds])}); a message moved to the dead letters stays there` });
  }
  await advance(100_000);
  const delivered: ReceivedMessage[] = [];
  for (let i = 0; i < 10; i++) {
    const got = await must(queue.receive(10, 1_000_000_000), `receive(10) while draining the queue at ${virtualNow()} ms`);
    if (got.length === 0) break;
    delivered.push(...got);
  }
  const deadAfter = await must(queue.deadLetters(), 'deadLetters() after draining');
  const seen = new Map<string, number>();
  for (const id of [...delivered.map((m) => m.id), ...deadAfter.map((d) => d.id)]) seen.set(id, (seen.get(id) ?? 0) + 1);
  for (const id of model.sent) {
    if (model.deleted.has(id) || model.cutIds.has(id) || seen.has(id)) continue;
    const state = model.dead.has(id) ? 'a dead letter' : model.count.has(id) ? `in flight (delivered ${times(model.count.get(id)!)}, not deleted)` : 'waiting (never received)';
    found.push({ kind: 'lost', message: `message ${show(id)}, whose send was acknowledged, was gone after a restart that followed ${at}; it was ${state}: an acknowledged message survives any crash` });
  }
  for (const id of model.deleted) {
    if (seen.has(id)) found.push({ kind: 'resurrected', message: `message ${show(id)}, deleted by an acknowledged delete(), was back after a restart that followed ${at}: a delete that resolved must be durable` });
  }
  for (const [id, n] of seen) {
    if (n > 1) found.push({ kind: 'lost', message: `message ${show(id)} was held ${n} times after a restart that followed ${at}; expected once` });
  }
  for (const m of delivered) {
    const before = model.count.get(m.id) ?? 0;
    if (m.receiveCount <= before) {
      found.push({ kind: 'count', message: `message ${show(m.id)}, last delivered with receiveCount ${before} before ${at}, came back after the restart with receiveCount ${m.receiveCount}; a receive count never goes back: persist it with each delivery` });
    }
  }
  for (const d of deadAfter) {
    const before = model.count.get(d.id) ?? 0;
    if (d.receiveCount < before) {
      found.push({ kind: 'count', message: `dead letter ${show(d.id)}, delivered ${before} times before ${at}, was listed with receiveCount ${d.receiveCount} after the restart: a receive count never goes back` });
    }
  }
  return found;
}

function emptyModel(): Model {
  return { sent: new Set(), deleted: new Set(), count: new Map(), dead: new Set(), cut: undefined, cutIds: new Set(), done: [] };
}

/** What the crash points showed, in their order; `error`: a call failed the check at the next one, which ended the replay. */
interface Replay {
  found: Violation[];
  error?: { value: unknown };
}

/** Every crash point of the script: after each write, then right after each call. */
async function everyCrash(): Promise<Replay> {
  const found: Violation[] = [];
  try {
    for (const after of ['write', 'call'] as const) {
      for (let k = 1; k <= 200; k++) {
        freshVirtualTime();
        const broker = new Broker(OPTIONS);
        await must(broker.start(), 'openQueue() on an empty disk');
        const model = emptyModel();
        const outcome = await runScript(broker, { after, k }, model);
        if (outcome === 'completed') break;
        broker.crash();
        const where = after === 'write' ? `a crash right after the broker's write number ${k} to storage` : `a crash right after call number ${k} resolved`;
        found.push(...(await judge(broker, model, where)));
      }
    }
  } catch (value) {
    return { found, error: { value } };
  }
  return { found };
}

let replay: Promise<Replay> | undefined;

/**
 * The replay is played once and judged by both checks below, each by the first violation of its kinds,
 * as if it had stopped there; a failure before any is that check's failure.
 */
async function report(kinds: Kind[]): Promise<void> {
  replay ??= everyCrash();
  const { found, error } = await replay;
  const first = found.find((v) => kinds.includes(v.kind));
  if (first) fail(first.message);
  if (error) throw error.value;
}

test('a broker crash after any write to storage, or right after any call resolved, loses no acknowledged message: waiting, in flight or dead-lettered', async () => {
  await report(['lost']);
});

test('after a broker crash, no acknowledged delete comes back and no receive count goes back', async () => {
  await report(['resurrected', 'count']);
});
