// Your message queue and idempotent consumer: see the statement (`learn-ds show message-queue`).
// The types below are the contract; write the two functions at the bottom.

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

/**
 * Opens the queue kept in `storage`: everything a client was told (a send, a delivery, a delete, a
 * changeVisibility) must still hold after learn-ds calls openQueue again on the same storage.
 */
export async function openQueue(storage: Storage, options: QueueOptions): Promise<MessageQueue> {
  throw new Error('TODO: write openQueue');
}

/**
 * A consumer that receives from `queue`, applies each message's effect (what `process` resolves
 * to) exactly once in `db`, and deletes each message once its effect is durable.
 */
export function createConsumer(queue: MessageQueue, db: ConsumerDb, process: Process): Consumer {
  throw new Error('TODO: write createConsumer');
}
