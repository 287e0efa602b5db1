// What the checks share: a call that must settle (a hang is reported, never waited for), the ids and
// bodies of every shape, and a queue started on a fresh disk under virtual time.
import { advance, describeSettled, fail, freshVirtualTime, settle, show, virtualNow } from 'learn-ds/harness';
import type { Json, QueueOptions, ReceivedMessage } from 'learn-ds/subject/message-queue';
import { Broker } from './world.ts';

/** Awaits `promise` in virtual time; a rejection or a hang fails the check, naming the call. */
export async function must<T>(promise: Promise<T>, what: string): Promise<T> {
  const outcome = await settle(promise, 3_600_000);
  if (outcome.status !== 'fulfilled') fail(`${what} ${describeSettled(outcome)}; expected it to resolve`);
  return outcome.value;
}

/** Ids of every shape: sequential, mixed case, non-ASCII, names an object already has, separators. */
export const IDS = ['msg-1', 'MSG-1', 'constructor', 'ñandú-😀-日本', 'a/b:c d', '', 'toString', '42', 'Msg-10'] as const;

/** Bodies of every kind JSON has. */
export const BODIES: Json[] = [
  'plain text',
  '',
  'héllo wörld ✓ 日本語 😀',
  { order: 7, items: [{ sku: 'A-1', qty: 2 }], note: null, paid: true },
  {},
  [],
  0,
  false,
  null,
  [1, 'two', { three: 3 }],
];

export interface Fresh {
  broker: Broker;
  queue: ReturnType<Broker['client']>;
}

/** A broker on a fresh disk, started, under virtual time. */
export async function freshQueue(options: QueueOptions): Promise<Fresh> {
  freshVirtualTime();
  const broker = new Broker(options);
  await must(broker.start(), `openQueue(storage, ${show(options)})`);
  return { broker, queue: broker.client() };
}

/** Restarts the broker without a crash: a new openQueue() on the same disk. */
export async function restart(broker: Broker): Promise<void> {
  broker.crash();
  await must(broker.start(), 'openQueue() on the disk of the broker before the restart');
}

export async function receive(queue: Fresh['queue'], max: number, timeoutMs?: number): Promise<ReceivedMessage[]> {
  const call = timeoutMs === undefined ? `receive(${max})` : `receive(${max}, ${timeoutMs})`;
  const got = await must(queue.receive(max, timeoutMs), `${call} at ${virtualNow()} ms`);
  if (!Array.isArray(got)) fail(`${call} at ${virtualNow()} ms resolved with ${show(got)}; expected an array of messages`);
  return got;
}

/** The ids a receive returned, as a learner reads them. */
export function ids(got: ReceivedMessage[]): string {
  return got.length === 0 ? 'nothing' : `[${got.map((m) => show(m.id)).join(', ')}]`;
}

/** Moves the clock to `at` ms since the start of the check. */
export async function until(at: number): Promise<void> {
  const now = virtualNow();
  if (at > now) await advance(at - now);
}
