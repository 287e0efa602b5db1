// Consumers as learn-ds runs them: each one a process with lives (a crash ends one, a restart begins
// the next with createConsumer() again), its queue calls and database writes counted as steps so a
// crash can come right after any of them, and a process function whose effect learn-ds can count:
// every applied database write that carries `effect:<id>` is one application of message `id`.
import { show, virtualNow } from 'learn-ds/harness';
import type { Consumer, Json } from 'learn-ds/subject/message-queue';
import { createConsumer } from 'learn-ds/subject/message-queue';
import { Broker, ConsumerDisk, Crash, consumerQueue, Incarnation } from './world.ts';

export interface Behaviour {
  /** How long processing this message takes, in virtual ms. */
  delayMs(consumer: string, id: string): number;
  /** Whether processing this message fails (a poison message). */
  poison(id: string): boolean;
}

/** Something a consumer did, for the story of a run. */
export interface Event {
  atMs: number;
  who: string;
  text: string;
}

export class Fleet {
  readonly db = new ConsumerDisk();
  readonly events: Event[] = [];
  /** Bodies as the process function received them, by id, to compare with what was sent. */
  readonly seen = new Map<string, Json[]>();
  /** Deletes that returned true while the message's effect had not been applied. */
  readonly earlyDeletes: string[] = [];
  /** Deletes that returned false: the stale handles of slow consumers. */
  readonly staleDeletes: Array<{ who: string; id: string }> = [];
  private readonly lives = new Map<string, Incarnation>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly livesStarted = new Map<string, number>();

  constructor(readonly broker: Broker, readonly behaviour: Behaviour) {}

  note(who: string, text: string): void {
    this.events.push({ atMs: virtualNow(), who, text });
  }

  /** Starts (or restarts) consumer `name`: a new life, a new createConsumer(). */
  start(name: string): Consumer {
    const n = (this.livesStarted.get(name) ?? 0) + 1;
    this.livesStarted.set(name, n);
    const who = n === 1 ? `consumer ${name}` : `consumer ${name} (life ${n})`;
    const life = new Incarnation(`consumer ${name}`);
    const handles = new Map<string, string>();
    const queue = consumerQueue(this.broker, life, (text) => this.note(who, text));
    const client = {
      ...queue,
      receive: async (max: number, ms?: number) => {
        const got = await queue.receive(max, ms);
        for (const m of got) handles.set(m.receiptHandle, m.id);
        return got;
      },
      delete: async (handle: string) => {
        const ok = await queue.delete(handle);
        const id = handles.get(handle);
        if (id !== undefined && ok === true && this.db.effectCount(id) === 0 && !this.behaviour.poison(id)) this.earlyDeletes.push(id);
        if (id !== undefined && ok === false) this.staleDeletes.push({ who, id });
        return ok;
      },
    };
    const process = async (message: { id: string; body: Json }): Promise<Record<string, Json>> => {
      life.alive();
      const id = message?.id;
      if (typeof id !== 'string') throw new TypeError(`process() was given ${show(message)}; it takes { id, body } of a received message`);
      const bodies = this.seen.get(id) ?? [];
      bodies.push(structuredClone(message.body));
      this.seen.set(id, bodies);
      const delay = this.behaviour.delayMs(name, id);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      life.alive();
      if (this.behaviour.poison(id)) {
        this.note(who, `process ${show(id)} → throws (poison)`);
        throw new Error(`cannot process message ${id}: it is a poison message`);
      }
      this.note(who, `process ${show(id)} → effect`);
      return { [`effect:${id}`]: { processed: id } };
    };
    const consumer = createConsumer(client, this.db.handle(life, who, virtualNow), process);
    this.lives.set(name, life);
    this.consumers.set(name, consumer);
    return consumer;
  }

  life(name: string): Incarnation {
    return this.lives.get(name)!;
  }

  /** One poll of consumer `name`: resolves to 'ok', 'crashed' (the consumer died) or 'failed' (a call rejected: the broker was down). */
  async poll(name: string, max: number): Promise<'ok' | 'crashed' | 'failed'> {
    const life = this.lives.get(name)!;
    const consumer = this.consumers.get(name)!;
    try {
      await life.race(Promise.resolve().then(() => consumer.poll(max)));
      return 'ok';
    } catch (error) {
      if (life.dead) {
        this.note(`consumer ${name}`, 'crashed');
        return 'crashed';
      }
      if (!(error instanceof Crash) && !(error instanceof Error && error.name === 'BrokerDown')) {
        this.note(`consumer ${name}`, `poll rejected: ${error instanceof Error ? error.message : show(error)}`);
      }
      return 'failed';
    }
  }

  /** The story of a run, the latest lines: those about the messages named (and the crashes), when some are. */
  story(last = 40, ...ids: string[]): string {
    const about = ids.map((id) => show(id));
    const lines = this.events
      .filter((e) => !e.text.endsWith('→ nothing'))
      .filter((e) => about.length === 0 || e.text.startsWith('crashed') || e.who === 'broker' || about.some((id) => e.text.includes(id)))
      .map((e) => `${String(e.atMs).padStart(6)} ms  ${e.who}: ${e.text}`);
    const shown = lines.length > last ? ['…', ...lines.slice(-last)] : lines;
    const what = about.length === 0 ? 'what happened' : `what happened to ${about.join(', ')}`;
    return `${what}:\n${shown.map((l) => `  ${l}`).join('\n')}`;
  }
}
