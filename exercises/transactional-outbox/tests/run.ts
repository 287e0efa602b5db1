// Runs one scenario against the learner's code, with at most one crash, and judges it: a model of
// what committed (read back from the service's real database after every command), the broker's
// log, and what each delivery changed in the consumer's statements.
import type { SqlJsStatic } from 'sql.js';
import type { AccountEvent, Command } from 'learn-ds/subject/transactional-outbox';
import { describeThrown, show } from 'learn-ds/harness';
import type { Action, Scenario } from './scenario.ts';
import { World, type CrashPlan, type Role, type StepRecord } from './world.ts';

/** The rules a run is judged by, in the order a failure is reported. */
export type Rule = 'command' | 'failed-call' | 'rolled-back' | 'content' | 'never-published' | 'order' | 'partial-effect' | 'exactly-once' | 'command-publishes';

export interface Violation {
  rule: Rule;
  message: string;
}

export interface RunResult {
  violations: Violation[];
  /** Whether the planned crash happened. */
  crashed: boolean;
  /** Events published more than once (allowed: at least once), for the check without crashes. */
  republished: Array<{ eventId: string; accountId: string; times: number }>;
  steps: Record<Role, number>;
  /** Every step, in order. */
  trace: StepRecord[];
  /** Every publish the broker stored, in order (ids), and the consumer's statements at the end. */
  published: string[];
  statements: Array<{ accountId: string } & Statement>;
  /** What happened, action by action, for a failure's detail. */
  story: string[];
}

type Outcome = { kind: 'ok' } | { kind: 'error'; error: unknown } | { kind: 'crash' } | { kind: 'hung' };

interface Committed {
  event: AccountEvent;
  /** Position among the committed changes of its account. */
  position: number;
}

export interface Statement {
  deposited: number;
  withdrawn: number;
  entries: number;
}

const RULE_ORDER: Rule[] = ['command', 'failed-call', 'rolled-back', 'content', 'never-published', 'order', 'partial-effect', 'exactly-once', 'command-publishes'];
const CATCH_UP_RELAYS = 3;
/** How long a call may stay pending, in real time, before it is said never to settle. */
const HUNG_AFTER_MS = 2_000;

class Stop extends Error {}

export async function runScenario(sql: SqlJsStatic, scenario: Scenario, plan?: CrashPlan): Promise<RunResult> {
  const run = new Run(sql, plan);
  try {
    await run.play(scenario);
    return run.result();
  } finally {
    run.world.close();
  }
}

class Run {
  readonly world: World;
  private readonly violations: Violation[] = [];
  private readonly story: string[] = [];
  private readonly balances = new Map<string, number>();
  private readonly committed = new Map<string, Committed>();
  private readonly perAccount = new Map<string, string[]>();
  /** Events whose change did not commit, and why. */
  private readonly rolledBack = new Map<string, string>();
  private readonly applied = new Map<string, string[]>();
  private readonly deliveries = new Map<string, number>();
  private readonly acked: AccountEvent[] = [];

  constructor(sql: SqlJsStatic, readonly plan: CrashPlan | undefined) {
    this.world = new World(sql, plan);
  }

  async play(scenario: Scenario): Promise<void> {
    try {
      for (const action of scenario.actions) {
        await this.perform(action);
        this.tellCrash();
      }
      // Catching up: the faults are over; the relay runs a few times and the broker delivers
      // everything it holds.
      this.story.push('catching up:');
      for (let i = 0; i < CATCH_UP_RELAYS; i++) {
        await this.relay();
        this.tellCrash();
      }
      for (let i = 0; i < 500 && this.world.broker.queue.length > 0; i++) {
        await this.deliverOne();
        this.tellCrash();
      }
      this.judgeEnd();
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
    }
  }

  result(): RunResult {
    const violations = [...this.violations].sort((p, q) => RULE_ORDER.indexOf(p.rule) - RULE_ORDER.indexOf(q.rule));
    const times = new Map<string, number>();
    for (const p of this.world.broker.log) times.set(p.event.eventId, (times.get(p.event.eventId) ?? 0) + 1);
    const republished = [...times]
      .filter(([, n]) => n > 1)
      .map(([eventId, n]) => ({ eventId, accountId: this.committed.get(eventId)?.event.accountId ?? '?', times: n }));
    const steps: Record<Role, number> = { command: 0, relay: 0, consumer: 0 };
    for (const s of this.world.steps) steps[s.role]++;
    const published = this.world.broker.log.map((p) => p.event.eventId);
    const statements = this.world.consumerDb
      .read<{ account_id: string; deposited: number; withdrawn: number; entries: number }>('SELECT account_id, deposited, withdrawn, entries FROM statements ORDER BY account_id')
      .map((r) => ({ accountId: r.account_id, deposited: r.deposited, withdrawn: r.withdrawn, entries: r.entries }));
    return { violations, crashed: this.world.crash !== undefined, republished, steps, trace: this.world.steps, published, statements, story: this.story };
  }

  // -------------------------------------------------------------------------------------------
  // Actions
  // -------------------------------------------------------------------------------------------

  private async perform(action: Action): Promise<void> {
    switch (action.kind) {
      case 'deposit':
      case 'withdraw':
        return this.command(action.kind, action.command);
      case 'relay':
        return this.relay(action.refuse === true);
      case 'deliver':
        for (let i = 0; i < action.count && this.world.broker.queue.length > 0; i++) await this.deliverOne();
        return;
      case 'redeliver': {
        const event = this.acked[this.acked.length - action.back];
        if (!event) return;
        this.story.push(`the broker delivers ${show(event.eventId)} again (at least once)`);
        this.world.broker.queue.unshift(event);
        return this.deliverOne();
      }
      case 'restart-consumer':
        this.world.startConsumer();
        this.story.push('the consumer process stops and starts again (no crash)');
        return;
    }
  }

  private async command(kind: 'deposit' | 'withdraw', command: Command): Promise<void> {
    const { commandId, accountId, amount } = command;
    const before = this.balances.get(accountId) ?? 0;
    const valid = kind === 'deposit' || before >= amount;
    const after = kind === 'deposit' ? before + amount : before - amount;
    const what = `${kind}({ commandId: ${show(commandId)}, accountId: ${show(accountId)}, amount: ${amount} })`;
    const outcome = await this.call('command', what, () => this.world.service[kind]({ ...command }));
    const actual = this.balanceOf(accountId);
    const commit = () => {
      this.balances.set(accountId, after);
      const order = this.perAccount.get(accountId) ?? [];
      order.push(commandId);
      this.perAccount.set(accountId, order);
      const type = kind === 'deposit' ? 'Deposited' : 'Withdrew';
      this.committed.set(commandId, { event: { eventId: commandId, accountId, type, amount, balance: after }, position: order.length });
    };
    switch (outcome.kind) {
      case 'ok':
        if (!valid) {
          this.stop('command', `${what} resolved, with the balance at ${before}: a withdrawal of more than the balance must reject and change nothing`);
        }
        if (actual !== after) {
          this.stop('command', `${what} resolved, but the balance of account ${show(accountId)} in the accounts table is ${show(actual)}; expected ${after} (it was ${before})`);
        }
        commit();
        this.story.push(`${what} → committed (balance ${after})`);
        return;
      case 'error':
        if (valid) this.stop('command', `${what} rejected with ${describeThrown(outcome.error)}; expected it to succeed (the balance was ${before})`);
        if (actual !== before) {
          this.stop('command', `${what} rejected (the balance ${before} is less than ${amount}), but the balance of account ${show(accountId)} became ${show(actual)}: a rejected command must change nothing`);
        }
        this.rolledBack.set(commandId, `it was rejected (a withdrawal of ${amount} from a balance of ${before})`);
        this.story.push(`${what} → rejected (balance ${before})`);
        return;
      case 'crash':
        if (actual === before) {
          this.rolledBack.set(commandId, 'the crash came before its transaction committed');
          this.story.push(`${what} → crashed before its commit: rolled back`);
        } else if (valid && actual === after) {
          commit();
          this.story.push(`${what} → crashed after its commit: committed (balance ${after})`);
        } else {
          this.stop('command', `after the crash in ${what}, the balance of account ${show(accountId)} is ${show(actual)}; expected ${before} (rolled back) or ${after} (committed)`);
        }
        this.world.startService();
        return;
      case 'hung':
        this.stop('failed-call', `${what} did not settle within 2 s, though nothing learn-ds gives it takes any time`);
    }
  }

  private async relay(refuse = false): Promise<void> {
    const refusedBefore = this.world.broker.refused.length;
    const published = this.world.broker.log.length;
    this.world.broker.refuseNext = refuse;
    const outcome = await this.call('relay', 'publishPending()', () => this.world.service.publishPending());
    this.world.broker.refuseNext = false;
    const names = this.world.broker.log.slice(published).map((p) => show(p.event.eventId));
    const sent = names.length > 0 ? `published ${names.join(', ')}` : 'published nothing';
    switch (outcome.kind) {
      case 'ok': {
        const refused = this.world.broker.refused.slice(refusedBefore).map((id) => show(id));
        this.story.push(`publishPending() → ${sent}${refused.length > 0 ? ` (the broker refused the publish of ${refused.join(', ')})` : ''}`);
        return;
      }
      case 'error':
        if (this.world.broker.refused.length > refusedBefore) {
          this.story.push(`publishPending() → ${sent}, then the broker refused the publish of ${show(this.world.broker.refused.at(-1))}: rejected`);
          return;
        }
        this.stop('failed-call', `publishPending() rejected with ${describeThrown(outcome.error)}, though the broker refused nothing`);
      case 'crash':
        this.story.push(`publishPending() → ${sent}, then crashed`);
        this.world.startService();
        return;
      case 'hung':
        this.stop('failed-call', 'publishPending() did not settle within 2 s, though nothing learn-ds gives it takes any time');
    }
  }

  private async deliverOne(): Promise<void> {
    const event = this.world.broker.queue.shift();
    if (!event) return;
    const id = event.eventId;
    this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
    const before = this.statementOf(event.accountId);
    const what = `handle(${show(id)})`;
    const outcome = await this.call('consumer', what, () => this.world.consumer.handle({ ...event }));
    const after = this.statementOf(event.accountId);
    const change = { deposited: after.deposited - before.deposited, withdrawn: after.withdrawn - before.withdrawn, entries: after.entries - before.entries };
    const effect = effectOf(event);
    const nothing = change.deposited === 0 && change.withdrawn === 0 && change.entries === 0;
    const whole = change.deposited === effect.deposited && change.withdrawn === effect.withdrawn && change.entries === effect.entries;
    const crashedHere = outcome.kind === 'crash';
    const when = `delivery ${this.deliveries.get(id)}${crashedHere ? ' (the consumer crashed during it)' : ''}`;
    if (whole) {
      const times = this.applied.get(id) ?? [];
      times.push(when);
      this.applied.set(id, times);
    } else if (!nothing) {
      this.violations.push({
        rule: 'partial-effect',
        message: `${what} changed the statement of account ${show(event.accountId)} by ${show(change)}; expected either nothing (already applied) or exactly ${show(effect)}${crashedHere ? '. ' + this.crashStory() : ''}`,
      });
    }
    this.story.push(`${what} → ${whole ? 'applied' : nothing ? 'no change' : 'partly applied'}${crashedHere ? ', then crashed' : ''}`);
    switch (outcome.kind) {
      case 'ok':
        this.acked.push(event);
        return;
      case 'error':
        this.stop('failed-call', `${what} rejected with ${describeThrown(outcome.error)}; the consumer must accept every event, new or already applied`);
      case 'crash': {
        // Restarted, the consumer gets the unacknowledged event again, and, at least once, the
        // last two it had acknowledged.
        this.world.startConsumer();
        const again = [...this.acked.slice(-2), event];
        this.world.broker.queue.unshift(...again);
        this.story.push(`the consumer restarts; the broker delivers ${again.map((e) => show(e.eventId)).join(', ')} again`);
        return;
      }
      case 'hung':
        this.stop('failed-call', `${what} did not settle within 2 s, though nothing learn-ds gives it takes any time`);
    }
  }

  /** Runs learner code, as `role`; settles when it does, or at the crash, or when it hangs. */
  private call(role: Role, what: string, fn: () => unknown): Promise<Outcome> {
    const world = this.world;
    world.role = role;
    world.action = what;
    const crashBefore = world.crash;
    let settled = false;
    return new Promise<Outcome>((resolve) => {
      // Everything learn-ds gives the code settles within microtasks, so a correct call has
      // settled by the next turn of the event loop; only a call still pending then gets a real
      // timer, which ends it if it waits for something that never comes.
      let backstop: ReturnType<typeof setTimeout> | undefined;
      setImmediate(() => {
        if (!settled) backstop = setTimeout(() => done({ kind: 'hung' }), HUNG_AFTER_MS);
      });
      const done = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        if (backstop) clearTimeout(backstop);
        world.onCrash(() => {});
        resolve(outcome);
      };
      world.onCrash(() => done({ kind: 'crash' }));
      Promise.resolve()
        .then(fn)
        .then(
          () => done(world.crash !== crashBefore ? { kind: 'crash' } : { kind: 'ok' }),
          (error: unknown) => done(world.crash !== crashBefore ? { kind: 'crash' } : { kind: 'error', error }),
        );
    });
  }

  // -------------------------------------------------------------------------------------------
  // The end of a run: what was published and applied.
  // -------------------------------------------------------------------------------------------

  private judgeEnd(): void {
    const log = this.world.broker.log;
    const firstAt = new Map<string, number>();
    log.forEach((p, i) => {
      if (!firstAt.has(p.event.eventId)) firstAt.set(p.event.eventId, i);
    });
    const reported = new Set<string>();
    for (const p of log) {
      const id = p.event.eventId;
      if (reported.has(id)) continue;
      const committed = this.committed.get(id);
      if (!committed) {
        reported.add(id);
        const why = this.rolledBack.get(id);
        this.violations.push({
          rule: 'rolled-back',
          message: why
            ? `event ${show(id)} (account ${show(p.event.accountId)}) was published during ${p.action}, but its change was rolled back: ${why}. No event may be published for a change that did not commit. ${this.crashStory()}`
            : `an event with id ${show(id)} was published during ${p.action}, but no command with that id committed: ${show(p.event)}`,
        });
        continue;
      }
      const expected = committed.event;
      const wrong = (['accountId', 'type', 'amount', 'balance'] as const).filter((k) => p.event[k] !== expected[k]);
      if (wrong.length > 0) {
        reported.add(id);
        this.violations.push({
          rule: 'content',
          message: `event ${show(id)} (account ${show(expected.accountId)}) was published as ${show(p.event)}; expected ${show(expected)} (${wrong.join(', ')} differ${wrong.length === 1 ? 's' : ''}: balance is the account's balance right after the change)`,
        });
      }
    }
    const direct = log.find((p) => p.role === 'command');
    if (direct) {
      this.violations.push({
        rule: 'command-publishes',
        message: `${direct.action} published event ${show(direct.event.eventId)} itself: commands never publish, the relay does (a command's publish can announce a change that then rolls back, or overtake an earlier event of the account still waiting in the outbox)`,
      });
    }
    for (const [id, { event }] of this.committed) {
      if (firstAt.has(id)) continue;
      this.violations.push({
        rule: 'never-published',
        message: `event ${show(id)} (account ${show(event.accountId)}, ${event.type} ${event.amount}) committed but was never published, even after publishPending() ran ${CATCH_UP_RELAYS} more times with the broker accepting everything. ${this.crashStory()}`,
      });
    }
    for (const [account, ids] of this.perAccount) {
      const published = ids.filter((id) => firstAt.has(id)).sort((p, q) => firstAt.get(p)! - firstAt.get(q)!);
      for (let i = 1; i < published.length; i++) {
        const out = this.committed.get(published[i - 1]!)!.event; // reached the broker first
        const overtaken = this.committed.get(published[i]!)!.event;
        if (this.committed.get(out.eventId)!.position > this.committed.get(overtaken.eventId)!.position) {
          this.violations.push({
            rule: 'order',
            message: `account ${show(account)} (the aggregate): event ${show(out.eventId)} was published before ${show(overtaken.eventId)}, though ${show(overtaken.eventId)} committed first: out of order (the account's events first reached the broker as ${show(published)}; they committed as ${show(ids.filter((id) => firstAt.has(id)))}). ${this.crashStory()}`,
          });
          break;
        }
      }
    }
    for (const [id, { event }] of this.committed) {
      if (!firstAt.has(id)) continue;
      const times = this.applied.get(id) ?? [];
      const delivered = this.deliveries.get(id) ?? 0;
      if (times.length === 1) continue;
      this.violations.push({
        rule: 'exactly-once',
        message:
          times.length === 0
            ? `event ${show(id)} (account ${show(event.accountId)}, ${event.type} ${event.amount}) was delivered ${delivered} time${delivered === 1 ? '' : 's'} but never applied: the statement of account ${show(event.accountId)} never changed by ${show(effectOf(event))}. ${this.crashStory()}`
            : `event ${show(id)} (account ${show(event.accountId)}, ${event.type} ${event.amount}) was applied ${times.length} times (${times.join('; ')}) of ${delivered} deliveries; expected exactly once. ${this.crashStory()}`,
      });
    }
  }

  // -------------------------------------------------------------------------------------------

  private crashTold = false;
  private tellCrash(): void {
    if (!this.world.crash || this.crashTold) return;
    this.crashTold = true;
    const { step } = this.world.crash;
    const where = step.role === 'command' ? 'the command handlers' : `the ${step.role}`;
    this.story.push(`  ✗ the crash came right after step ${step.roleStep} of ${where}: ${step.label}`);
  }

  private stop(rule: Rule, message: string): never {
    this.violations.push({ rule, message: this.world.crash ? `${message}. ${this.crashStory()}` : message });
    throw new Stop();
  }

  /** The crash of this run, as a learner reads it. */
  crashStory(): string {
    const crash = this.world.crash;
    if (!crash) return 'This run had no crash.';
    const { step, rolledBack } = crash;
    const process = step.role === 'consumer' ? 'consumer' : 'service';
    return (
      `The crash: the ${process} process died right after step ${step.roleStep} of the ${step.role === 'command' ? 'command handlers' : step.role}` +
      ` (${step.label}) during ${step.action}${rolledBack ? ', and its open transaction was rolled back' : ''}; learn-ds restarted it.`
    );
  }

  private balanceOf(accountId: string): number | null {
    const [row] = this.world.serviceDb.read<{ balance: number | null }>('SELECT balance FROM accounts WHERE account_id = ?', [accountId]);
    return row ? row.balance : (this.balances.has(accountId) ? null : 0);
  }

  private statementOf(accountId: string): Statement {
    const [row] = this.world.consumerDb.read<{ deposited: number; withdrawn: number; entries: number }>(
      'SELECT deposited, withdrawn, entries FROM statements WHERE account_id = ?',
      [accountId],
    );
    return row ? { deposited: Number(row.deposited), withdrawn: Number(row.withdrawn), entries: Number(row.entries) } : { deposited: 0, withdrawn: 0, entries: 0 };
  }
}

function effectOf(event: AccountEvent): Statement {
  return {
    deposited: event.type === 'Deposited' ? event.amount : 0,
    withdrawn: event.type === 'Withdrew' ? event.amount : 0,
    entries: 1,
  };
}
