// A message queue with visibility timeouts, receipt handles and a dead-letter queue, kept in durable
// storage so that a broker restart loses nothing acknowledged; and a consumer that makes
// at-least-once delivery exactly-once processing.

/** A value as JSON has it: what bodies, stored values and effects are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The broker's durable storage, given by learn-ds. A write is durable once its promise resolved. */
export interface Storage {
  get(key: string): Promise<Json | undefined>;
  set(key: string, value: Json): Promise<void>;
  delete(key: string): Promise<void>;
  /** The keys that start with `prefix`, sorted as strings sort. */
  keys(prefix: string): Promise<string[]>;
}

export interface QueueOptions {
  /** How long a received message stays invisible when receive() is given no timeout. */
  visibilityTimeoutMs: number;
  /** How many times a message may be delivered; the receive after that moves it to the dead letters. */
  maxReceives: number;
}

export interface ReceivedMessage {
  id: string;
  body: Json;
  /** New on every delivery; only the latest delivery's handle deletes or changes the message. */
  receiptHandle: string;
  /** 1 on the first delivery, 2 on the second… */
  receiveCount: number;
}

export interface DeadLetter {
  id: string;
  body: Json;
  receiveCount: number;
}

export interface MessageQueue {
  /** Stores a message; resolved means stored durably. */
  send(id: string, body: Json): Promise<void>;
  /** Up to `max` visible messages, oldest send first, each made invisible for the timeout. */
  receive(max: number, visibilityTimeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Deletes the message whose current receipt handle this is: true; any other handle: false. */
  delete(receiptHandle: string): Promise<boolean>;
  /** Makes the message invisible for `visibilityTimeoutMs` from now: true; a handle not current: false. */
  changeVisibility(receiptHandle: string, visibilityTimeoutMs: number): Promise<boolean>;
  /** The messages moved to the dead letters, oldest send first. */
  deadLetters(): Promise<DeadLetter[]>;
}

/** One message as stored, under its key. */
interface Stored {
  seq: number;
  id: string;
  body: Json;
  receiveCount: number;
  /** The current delivery's handle, or null before the first delivery. */
  handle: string | null;
  /** When it becomes visible again (ms since the epoch, as Date.now() counts). */
  visibleAt: number;
  dead: boolean;
}

const PREFIX = 'message:';
// Keys sort as strings: zero-padded sequence numbers keep them in send order.
const keyOf = (seq: number) => `${PREFIX}${String(seq).padStart(15, '0')}`;

export async function openQueue(storage: Storage, options: QueueOptions): Promise<MessageQueue> {
  // Everything lives in storage; memory is a copy read back at every start.
  const messages = new Map<number, Stored>();
  const byHandle = new Map<string, number>();
  for (const key of await storage.keys(PREFIX)) {
    const stored = (await storage.get(key)) as unknown as Stored | undefined;
    if (!stored) continue;
    messages.set(stored.seq, stored);
    if (stored.handle !== null && !stored.dead) byHandle.set(stored.handle, stored.seq);
  }
  let nextSeq = Math.max(0, ...messages.keys()) + 1;
  const save = (m: Stored) => storage.set(keyOf(m.seq), m as unknown as Json);
  const inOrder = () => [...messages.values()].sort((a, b) => a.seq - b.seq);

  return {
    async send(id, body) {
      const message: Stored = { seq: nextSeq++, id, body, receiveCount: 0, handle: null, visibleAt: 0, dead: false };
      await save(message);
      messages.set(message.seq, message);
    },

    async receive(max, visibilityTimeoutMs = options.visibilityTimeoutMs) {
      const now = Date.now();
      const out: ReceivedMessage[] = [];
      for (const m of inOrder()) {
        if (out.length >= max) break;
        if (m.dead || m.visibleAt > now) continue;
        if (m.handle !== null) byHandle.delete(m.handle);
        if (m.receiveCount >= options.maxReceives) {
          // Delivered maxReceives times already: this receive moves it instead of delivering it.
          const dead: Stored = { ...m, dead: true, handle: null };
          await save(dead);
          messages.set(m.seq, dead);
          continue;
        }
        const receiveCount = m.receiveCount + 1;
        const delivered: Stored = { ...m, receiveCount, handle: `${m.seq}.${receiveCount}`, visibleAt: now + visibilityTimeoutMs };
        // Durable before the consumer sees it: a restart keeps the count and the handle.
        await save(delivered);
        messages.set(m.seq, delivered);
        byHandle.set(delivered.handle!, m.seq);
        out.push({ id: m.id, body: m.body, receiptHandle: delivered.handle!, receiveCount });
      }
      return out;
    },

    async delete(receiptHandle) {
      const seq = byHandle.get(receiptHandle);
      if (seq === undefined) return false;
      await storage.delete(keyOf(seq));
      byHandle.delete(receiptHandle);
      messages.delete(seq);
      return true;
    },

    async changeVisibility(receiptHandle, visibilityTimeoutMs) {
      const seq = byHandle.get(receiptHandle);
      const m = seq === undefined ? undefined : messages.get(seq);
      if (!m) return false;
      const changed: Stored = { ...m, visibleAt: Date.now() + visibilityTimeoutMs };
      await save(changed);
      messages.set(m.seq, changed);
      return true;
    },

    async deadLetters() {
      return inOrder()
        .filter((m) => m.dead)
        .map((m) => ({ id: m.id, body: m.body, receiveCount: m.receiveCount }));
    },
  };
}

/** The consumer's own database, given by learn-ds. */
export interface ConsumerDb {
  get(key: string): Promise<Json | undefined>;
  /**
   * Atomically: when every key of `expected` holds that value (undefined: the key is absent), writes
   * every entry and resolves true; otherwise writes nothing and resolves false.
   */
  write(entries: Record<string, Json>, expected?: Record<string, Json | undefined>): Promise<boolean>;
}

/** Processes one message: resolves to its effect (entries to write, every key starting `effect:`), or throws. */
export type Process = (message: { id: string; body: Json }) => Promise<Record<string, Json>>;

export interface Consumer {
  /** One receive of up to `max` messages, each processed exactly once, then deleted. */
  poll(max: number): Promise<void>;
}

export function createConsumer(queue: MessageQueue, db: ConsumerDb, process: Process): Consumer {
  return {
    async poll(max) {
      for (const message of await queue.receive(max)) {
        const done = `done:${message.id}`;
        if ((await db.get(done)) === undefined) {
          let effect: Record<string, Json>;
          try {
            effect = await process({ id: message.id, body: message.body });
          } catch {
            continue; // a poison message: left to be redelivered, and in the end dead-lettered
          }
          // The effect and its dedup record in one conditional write: both or neither, and only
          // once, even when a slow consumer and a redelivery process the same message side by side.
          await db.write({ ...effect, [done]: true }, { [done]: undefined });
        }
        // Only after the effect is durable: a crash before this line redelivers, never loses.
        await queue.delete(message.receiptHandle);
      }
    },
  };
}
