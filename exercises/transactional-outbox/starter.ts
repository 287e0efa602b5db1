// ---------------------------------------------------------------------------------------------
// The types learn-ds hands you: a thin asynchronous face of SQLite (sql.js: SQLite compiled to
// WebAssembly, in memory), the broker, the events and the commands.
// ---------------------------------------------------------------------------------------------

/** A value SQLite stores and returns: INTEGER and REAL columns come back as numbers, TEXT as strings. */
export type SqlValue = string | number | null;

/** One row of a result, by column name (or by the alias after AS). */
export type Row = Record<string, SqlValue>;

/** Somewhere to run SQL: the database itself, or the transaction `transaction()` hands you. */
export interface Sql {
  /**
   * Runs one SQL statement, its `?` placeholders bound to `params` in order, and resolves to the
   * rows it returns (none for INSERT, UPDATE and DELETE unless they have a RETURNING clause).
   * Rejects with SQLite's error when the statement fails (a UNIQUE constraint, a syntax error).
   */
  query<R extends Row = Row>(sql: string, params?: SqlValue[]): Promise<R[]>;
}

/** A database: statements run one at a time, each in its own transaction unless inside `transaction()`. */
export interface Db extends Sql {
  /**
   * BEGIN, then `work(tx)`: run every statement of the transaction on `tx`. When `work` resolves,
   * COMMIT and resolve to its value; when it throws, ROLLBACK and reject with what it threw.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

/** What happened to an account, as the service publishes it and the consumer receives it. */
export interface AccountEvent {
  /** The id of the command that made the change: unique, compared exactly (case and all). */
  eventId: string;
  /** The account, the aggregate whose events must keep their order. */
  accountId: string;
  type: 'Deposited' | 'Withdrew';
  /** The amount moved, a positive integer (cents). */
  amount: number;
  /** The account's balance right after this change. */
  balance: number;
}

/** The message broker: at least once. A publish that resolves is stored; one that rejects is not. */
export interface Broker {
  publish(event: AccountEvent): Promise<void>;
}

/** A command to the account service. `commandId` is unique and becomes the event's `eventId`. */
export interface Command {
  commandId: string;
  accountId: string;
  /** A positive integer (cents). */
  amount: number;
}

/** The account service: its command handlers and its outbox relay, sharing one database. */
export interface AccountService {
  /** Adds `amount` to the account (created at balance 0 if new) and records a `Deposited` event. */
  deposit(command: Command): Promise<void>;
  /** Takes `amount` from the account and records a `Withdrew` event; rejects, changing nothing, when the balance is less than `amount`. */
  withdraw(command: Command): Promise<void>;
  /** The relay: publishes every unsent outbox row, oldest first, marking each sent after its publish resolved. */
  publishPending(): Promise<void>;
}

/** The consumer: keeps an account statement in its own database from the events it receives. */
export interface Consumer {
  /** Applies the event to `statements` exactly once, however many times it is delivered. */
  handle(event: AccountEvent): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Yours to write.
// ---------------------------------------------------------------------------------------------

/**
 * The account service on its database `db` (tables `accounts` and `outbox`). A command writes its
 * change and its outbox row in one transaction; `publishPending()` (the relay) publishes the unsent
 * rows with `broker`, oldest first, and marks each sent after its publish resolved. Commands never
 * publish.
 */
export function createAccountService(db: Db, broker: Broker): AccountService {
  throw new Error('TODO: write createAccountService');
}

/**
 * The consumer on its own database `db` (tables `processed_events` and `statements`): applies
 * each event to `statements` exactly once, recording its id in `processed_events` in the same
 * transaction as the effect.
 */
export function createConsumer(db: Db): Consumer {
  throw new Error('TODO: write createConsumer');
}
