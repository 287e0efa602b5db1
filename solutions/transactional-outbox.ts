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
// The account service.
// ---------------------------------------------------------------------------------------------

export function createAccountService(db: Db, broker: Broker): AccountService {
  /** The change and its event in one transaction: both commit, or neither does. */
  async function apply(command: Command, type: AccountEvent['type']): Promise<void> {
    await db.transaction(async (tx) => {
      const [account] = await tx.query<{ balance: number }>('SELECT balance FROM accounts WHERE account_id = ?', [command.accountId]);
      const before = account?.balance ?? 0;
      const balance = type === 'Deposited' ? before + command.amount : before - command.amount;
      if (balance < 0) {
        throw new Error(`insufficient funds: account ${command.accountId} holds ${before}, cannot withdraw ${command.amount}`);
      }
      await tx.query(
        'INSERT INTO accounts (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = excluded.balance',
        [command.accountId, balance],
      );
      const event: AccountEvent = { eventId: command.commandId, accountId: command.accountId, type, amount: command.amount, balance };
      await tx.query('INSERT INTO outbox (event_id, account_id, event) VALUES (?, ?, ?)', [event.eventId, event.accountId, JSON.stringify(event)]);
    });
  }

  return {
    deposit: (command) => apply(command, 'Deposited'),
    withdraw: (command) => apply(command, 'Withdrew'),

    async publishPending() {
      const pending = await db.query<{ seq: number; event: string }>('SELECT seq, event FROM outbox WHERE sent = 0 ORDER BY seq');
      for (const row of pending) {
        // Publish first, mark afterwards: a crash in between publishes the row again (at least
        // once), never loses it. A failed publish throws here and stops the run, so no later row
        // of the same account can overtake this one.
        await broker.publish(JSON.parse(row.event) as AccountEvent);
        await db.query('UPDATE outbox SET sent = 1 WHERE seq = ?', [row.seq]);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The consumer.
// ---------------------------------------------------------------------------------------------

export function createConsumer(db: Db): Consumer {
  return {
    async handle(event) {
      await db.transaction(async (tx) => {
        // The event's id and its effect commit together: a crash leaves both or neither.
        const fresh = await tx.query('INSERT INTO processed_events (event_id) VALUES (?) ON CONFLICT DO NOTHING RETURNING event_id', [event.eventId]);
        if (fresh.length === 0) return; // delivered before: applied then
        const deposited = event.type === 'Deposited' ? event.amount : 0;
        const withdrawn = event.type === 'Withdrew' ? event.amount : 0;
        await tx.query(
          `INSERT INTO statements (account_id, deposited, withdrawn, entries) VALUES (?, ?, ?, 1)
           ON CONFLICT (account_id) DO UPDATE SET deposited = deposited + excluded.deposited,
             withdrawn = withdrawn + excluded.withdrawn, entries = entries + 1`,
          [event.accountId, deposited, withdrawn],
        );
      });
    },
  };
}
