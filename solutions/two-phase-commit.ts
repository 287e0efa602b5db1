import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

export type Message =
  // client → coordinator, and its answer
  | { type: 'submit'; txId: string; writes: Record<NodeId, Record<string, string>> }
  | { type: 'outcome'; txId: string; commit: boolean }
  // phase one: coordinator → participant, and the vote
  | { type: 'prepare'; txId: string; writes: Record<string, string>; participants: NodeId[] }
  | { type: 'vote'; txId: string; yes: boolean }
  // phase two: to a participant (from the coordinator, or in answer to its query)
  | { type: 'decision'; txId: string; commit: boolean }
  // a participant in doubt → the coordinator (or another participant of the transaction)
  | { type: 'query'; txId: string };

export interface CoordinatorOptions {
  /** A transaction whose votes are not all in this long after its submit arrived is aborted. */
  voteTimeoutMs: number;
}

export interface ParticipantOptions {
  coordinator: NodeId;
  /** A participant in doubt asks for the decision this long after its yes vote (or its restart), and again every this long. */
  queryIntervalMs: number;
}

export interface ParticipantStatus {
  /** The committed value of every key this participant holds. */
  data: Record<string, string>;
  /** Every locked key, with the transaction that holds it. */
  locks: Record<string, string>;
}

export interface Participant extends SimNode<Message> {
  status(): ParticipantStatus;
}

/** The coordinator's log record of one transaction: written before the first prepare, and again with its decision. */
interface TxRecord {
  writes: Record<NodeId, Record<string, string>>;
  decision?: boolean;
}

const TX = 'tx:';

/**
 * The coordinator. Called when it starts and again after every crash, with the same `ctx.storage`:
 * its log. On a restart, a transaction logged without a decision is aborted (its votes were lost
 * with the crash); one logged with its decision keeps it.
 */
export function createCoordinator(ctx: NodeContext<Message>, options: CoordinatorOptions): SimNode<Message> {
  /** Transactions collecting votes (this life only). */
  const voting = new Map<string, { yes: Set<NodeId>; timer: number; clients: Set<NodeId> }>();

  const record = (txId: string) => ctx.storage.get<TxRecord>(TX + txId);

  function decide(txId: string, commit: boolean): void {
    const rec = record(txId)!;
    const round = voting.get(txId);
    voting.delete(txId);
    if (round) ctx.cancelTimer(round.timer);
    // The decision is durable before anyone hears it: a crash after this line cannot change it.
    ctx.storage.set(TX + txId, { ...rec, decision: commit });
    for (const p of Object.keys(rec.writes)) ctx.send(p, { type: 'decision', txId, commit });
    for (const client of round?.clients ?? []) ctx.send(client, { type: 'outcome', txId, commit });
  }

  // Recovery: finish what the log says was begun and never decided.
  for (const key of ctx.storage.keys()) {
    if (!key.startsWith(TX)) continue;
    const txId = key.slice(TX.length);
    if (record(txId)!.decision === undefined) decide(txId, false);
  }

  return {
    receive(from, message) {
      switch (message.type) {
        case 'submit': {
          const rec = record(message.txId);
          if (rec !== undefined) {
            // Seen before (a duplicate, or the client asking again): never start it twice.
            if (rec.decision !== undefined) ctx.send(from, { type: 'outcome', txId: message.txId, commit: rec.decision });
            else voting.get(message.txId)?.clients.add(from);
            return;
          }
          const participants = Object.keys(message.writes);
          ctx.storage.set(TX + message.txId, { writes: message.writes } satisfies TxRecord);
          const timer = ctx.setTimer(options.voteTimeoutMs, () => {
            if (voting.has(message.txId)) decide(message.txId, false);
          });
          voting.set(message.txId, { yes: new Set(), timer, clients: new Set([from]) });
          for (const p of participants) {
            ctx.send(p, { type: 'prepare', txId: message.txId, writes: message.writes[p]!, participants });
          }
          return;
        }
        case 'vote': {
          const round = voting.get(message.txId);
          if (round === undefined) return; // decided already: a late or duplicated vote changes nothing
          if (!message.yes) return decide(message.txId, false);
          const participants = Object.keys(record(message.txId)!.writes);
          if (!participants.includes(from)) return;
          round.yes.add(from);
          if (participants.every((p) => round.yes.has(p))) decide(message.txId, true);
          return;
        }
        case 'query': {
          const rec = record(message.txId);
          // Never begun here: it cannot have committed. Still voting: stay silent, the participant asks again.
          if (rec === undefined) ctx.send(from, { type: 'decision', txId: message.txId, commit: false });
          else if (rec.decision !== undefined) ctx.send(from, { type: 'decision', txId: message.txId, commit: rec.decision });
          return;
        }
        default:
          return;
      }
    },
  };
}

const DATA = 'data:';
const PREPARED = 'prepared:';
const DECIDED = 'decided:';

/**
 * A participant. Called when it starts and again after every crash, with the same `ctx.storage`:
 * its committed data, the transactions it voted yes on, and the decisions it learned.
 */
export function createParticipant(ctx: NodeContext<Message>, options: ParticipantOptions): Participant {
  const locks = new Map<string, string>();
  const queryTimers = new Map<string, number>();

  const prepared = (txId: string) => ctx.storage.get<Record<string, string>>(PREPARED + txId);

  function askLater(txId: string): void {
    queryTimers.set(txId, ctx.setTimer(options.queryIntervalMs, () => {
      if (prepared(txId) === undefined) return;
      ctx.send(options.coordinator, { type: 'query', txId });
      askLater(txId);
    }));
  }

  function lock(txId: string, writes: Record<string, string>): void {
    for (const key of Object.keys(writes)) locks.set(key, txId);
    askLater(txId);
  }

  // Recovery: every transaction voted yes on and not decided is still in doubt, its keys still locked.
  for (const key of ctx.storage.keys()) {
    if (key.startsWith(PREPARED)) lock(key.slice(PREPARED.length), ctx.storage.get<Record<string, string>>(key)!);
  }

  function learn(txId: string, commit: boolean): void {
    const writes = prepared(txId);
    if (ctx.storage.get(DECIDED + txId) !== undefined && writes === undefined) return; // known already: a duplicate
    if (writes !== undefined && commit) {
      for (const [key, value] of Object.entries(writes)) ctx.storage.set(DATA + key, value);
    }
    ctx.storage.set(DECIDED + txId, commit);
    if (writes === undefined) return;
    ctx.storage.delete(PREPARED + txId);
    for (const key of Object.keys(writes)) if (locks.get(key) === txId) locks.delete(key);
    const timer = queryTimers.get(txId);
    if (timer !== undefined) ctx.cancelTimer(timer);
    queryTimers.delete(txId);
  }

  return {
    receive(from, message) {
      switch (message.type) {
        case 'prepare': {
          const { txId, writes } = message;
          if (ctx.storage.get(DECIDED + txId) !== undefined) return; // a late duplicate: decided already
          if (prepared(txId) !== undefined) return ctx.send(from, { type: 'vote', txId, yes: true });
          const free = Object.keys(writes).every((key) => !locks.has(key));
          if (!free) return ctx.send(from, { type: 'vote', txId, yes: false });
          // The yes vote is a promise: it is durable before anyone hears it.
          ctx.storage.set(PREPARED + txId, writes);
          lock(txId, writes);
          ctx.send(from, { type: 'vote', txId, yes: true });
          return;
        }
        case 'decision':
          learn(message.txId, message.commit);
          return;
        case 'query': {
          const decided = ctx.storage.get<boolean>(DECIDED + message.txId);
          if (decided !== undefined) ctx.send(from, { type: 'decision', txId: message.txId, commit: decided });
          return;
        }
        default:
          return;
      }
    },
    status() {
      const data: Record<string, string> = {};
      for (const key of ctx.storage.keys()) if (key.startsWith(DATA)) data[key.slice(DATA.length)] = ctx.storage.get<string>(key)!;
      return { data, locks: Object.fromEntries(locks) };
    },
  };
}
