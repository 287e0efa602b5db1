// The world a run happens in: the service's and the consumer's databases (real SQLite), the broker,
// the two processes (the account service with its relay, and the consumer), and the crash: right
// after the k-th step (a statement that ran, a commit, a publish) of one role, the process dies,
// its open transaction is rolled back, and it restarts with only what its database committed.
import type { SqlJsStatic } from 'sql.js';
import type { AccountEvent, AccountService, Broker, Consumer } from 'learn-ds/subject/transactional-outbox';
import { createAccountService, createConsumer } from 'learn-ds/subject/transactional-outbox';
import { Connection, CONSUMER_SCHEMA, Crash, Incarnation, SERVICE_SCHEMA, type StepSink } from './database.ts';

/** What the process is doing when a step happens: a command, the relay, or the consumer. */
export type Role = 'command' | 'relay' | 'consumer';

export interface CrashPlan {
  role: Role;
  /** The crash comes right after this step of `role` (1 = its first step). */
  at: number;
}

export interface StepRecord {
  /** Steps of every role, counted from 1. */
  n: number;
  role: Role;
  /** Steps of this role, counted from 1: what CrashPlan.at counts. */
  roleStep: number;
  label: string;
  /** The operation under way, as a learner reads it: "deposit cmd-9 (30 to account 'Zoë')". */
  action: string;
}

export interface CrashRecord {
  step: StepRecord;
  /** Whether the process died inside a transaction, which the database then rolled back. */
  rolledBack: boolean;
}

export interface Publication {
  event: AccountEvent;
  /** The step number of the publish (all roles). */
  step: number;
  action: string;
  /** Who published: the relay, or (against the rules) a command. */
  role: Role;
}

/** The broker: every publish that resolved is stored and queued for the consumer, in order of arrival. */
export class TestBroker {
  readonly log: Publication[] = [];
  readonly queue: AccountEvent[] = [];
  /** The next publish is refused (rejects, stores nothing). */
  refuseNext = false;
  /** The ids of the events whose publish was refused, in order. */
  readonly refused: string[] = [];
  private inFlight = 0;

  constructor(private readonly world: World) {}

  /** The broker as one incarnation of the service sees it. */
  client(incarnation: Incarnation): Broker {
    return {
      publish: async (event: AccountEvent) => {
        incarnation.alive();
        if (this.refuseNext) {
          this.refuseNext = false;
          this.refused.push(typeof event === 'object' && event !== null ? String(event.eventId) : String(event));
          throw new Error('broker unavailable: the publish was refused (nothing stored)');
        }
        const copy = snapshot(event);
        // A publish travels: the first of several in flight takes longest, so publishes sent side
        // by side arrive in another order than they were sent, as they can on a real network.
        this.inFlight++;
        const turns = this.inFlight > 1 ? 0 : 4;
        for (let i = 0; i < turns; i++) await Promise.resolve();
        this.inFlight--;
        this.log.push({ event: copy, step: this.world.steps.length + 1, action: this.world.action, role: this.world.role });
        this.queue.push(copy);
        this.world.step(incarnation, `publish ${copy.eventId}`);
      },
    };
  }
}

function snapshot(event: AccountEvent): AccountEvent {
  if (typeof event !== 'object' || event === null) return event;
  const { eventId, accountId, type, amount, balance } = event;
  return { eventId, accountId, type, amount, balance };
}

export class World implements StepSink {
  readonly serviceDb: Connection;
  readonly consumerDb: Connection;
  readonly broker: TestBroker;
  readonly steps: StepRecord[] = [];
  private readonly roleSteps: Record<Role, number> = { command: 0, relay: 0, consumer: 0 };
  role: Role = 'command';
  action = '';
  crash: CrashRecord | undefined;
  private crashListener: (() => void) | undefined;

  serviceLife!: Incarnation;
  service!: AccountService;
  consumerLife!: Incarnation;
  consumer!: Consumer;
  restarts = { service: 0, consumer: 0 };

  constructor(
    sql: SqlJsStatic,
    readonly plan: CrashPlan | undefined,
  ) {
    this.serviceDb = new Connection(sql, SERVICE_SCHEMA);
    this.consumerDb = new Connection(sql, CONSUMER_SCHEMA);
    this.broker = new TestBroker(this);
    this.startService();
    this.startConsumer();
  }

  startService(): void {
    this.serviceLife = new Incarnation('service');
    this.service = createAccountService(this.serviceDb.handle(this.serviceLife, this), this.broker.client(this.serviceLife));
  }

  startConsumer(): void {
    this.consumerLife = new Incarnation('consumer');
    this.consumer = createConsumer(this.consumerDb.handle(this.consumerLife, this));
  }

  step(incarnation: Incarnation, label: string): void {
    const role = this.role;
    const record: StepRecord = { n: this.steps.length + 1, role, roleStep: ++this.roleSteps[role], label, action: this.action };
    this.steps.push(record);
    if (this.plan && !this.crash && this.plan.role === role && this.plan.at === record.roleStep) {
      incarnation.dead = true;
      const db = incarnation.process === 'service' ? this.serviceDb : this.consumerDb;
      this.crash = { step: record, rolledBack: db.abandon(incarnation) };
      this.crashListener?.();
      throw new Crash();
    }
  }

  /** Resolves when the planned crash happens (now or later). */
  onCrash(listener: () => void): void {
    this.crashListener = listener;
  }

  close(): void {
    // The run is over: whatever the learner's code still has under way does nothing any more.
    this.serviceLife.dead = true;
    this.consumerLife.dead = true;
    this.serviceDb.close();
    this.consumerDb.close();
  }
}
