// The real database under the learner's code: SQLite (sql.js, WebAssembly, in memory). A Connection
// is one database's "disk": what it committed survives any crash of the process using it. The
// learner's code reaches it only through a Db handle bound to one incarnation of a process, so a
// crash can kill the incarnation (every later call throws) and roll back its open transaction.
import initSqlJs, { type Database, type Statement, type SqlJsStatic } from 'sql.js';
import type { Db, Row, Sql, SqlValue } from 'learn-ds/subject/transactional-outbox';

export const SERVICE_SCHEMA = `
CREATE TABLE accounts (
  account_id TEXT PRIMARY KEY,
  balance    INTEGER NOT NULL
);
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id   TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  event      TEXT NOT NULL,
  sent       INTEGER NOT NULL DEFAULT 0
);`;

export const CONSUMER_SCHEMA = `
CREATE TABLE processed_events (
  event_id TEXT PRIMARY KEY
);
CREATE TABLE statements (
  account_id TEXT PRIMARY KEY,
  deposited  INTEGER NOT NULL,
  withdrawn  INTEGER NOT NULL,
  entries    INTEGER NOT NULL
);`;

let sqlJs: Promise<SqlJsStatic> | undefined;
/** sql.js compiles its WebAssembly once per test worker. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  return (sqlJs ??= initSqlJs());
}

/** Thrown into the learner's code where a process dies: nothing it does afterwards has any effect. */
export class Crash extends Error {
  constructor() {
    super('learn-ds crashed this process here (its later calls do nothing)');
    this.name = 'Crash';
  }
}

/** Told about every effect (a statement that ran, a commit) so that a crash can follow it. */
export interface StepSink {
  /** Records an effect of `incarnation`; throws Crash when the crash is planned right after it. */
  step(incarnation: Incarnation, label: string): void;
}

/** One life of a process, between a start and a crash. */
export class Incarnation {
  dead = false;
  constructor(readonly process: 'service' | 'consumer') {}
  alive(): void {
    if (this.dead) throw new Crash();
  }
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

interface OpenTransaction {
  owner: Incarnation;
  open: boolean;
}

export class Connection {
  readonly raw: Database;
  private readonly statements = new Map<string, Statement>();
  tx: OpenTransaction | undefined;

  constructor(sql: SqlJsStatic, schema: string) {
    this.raw = new sql.Database();
    this.raw.exec(schema);
  }

  /** Runs one statement for the test itself (no step, no crash). */
  read<R extends Row>(sql: string, params: SqlValue[] = []): R[] {
    return this.run(sql, params) as R[];
  }

  run(sql: string, params: SqlValue[]): Row[] {
    let statement = this.statements.get(sql);
    if (!statement) {
      let count = 0;
      for (const _ of this.raw.iterateStatements(sql)) count++; // the iterator frees what it prepares
      if (count !== 1) throw new Error(`query() runs exactly one SQL statement; it was given ${count}: ${oneLine(sql)}`);
      statement = this.raw.prepare(sql);
      this.statements.set(sql, statement);
    }
    try {
      statement.bind(params);
      const rows: Row[] = [];
      while (statement.step()) rows.push(statement.getAsObject() as Row);
      return rows;
    } finally {
      statement.reset();
    }
  }

  /** Rolls back the open transaction of a process that just died, as the database does when its connection drops. */
  abandon(owner: Incarnation): boolean {
    if (!this.tx || this.tx.owner !== owner) return false;
    this.raw.exec('ROLLBACK');
    this.tx.open = false;
    this.tx = undefined;
    return true;
  }

  /** The learner's handle on this database, for one incarnation of one process. */
  handle(owner: Incarnation, sink: StepSink): Db {
    const connection = this;
    const runStep = (sql: string, params: unknown, inside: OpenTransaction | undefined): Row[] => {
      checkParams(params);
      if (TRANSACTION_CONTROL.test(sql)) {
        throw new Error(`query(${JSON.stringify(oneLine(sql))}): transactions are opened and ended by db.transaction(work), not by SQL`);
      }
      const rows = connection.run(sql, (params ?? []) as SqlValue[]);
      sink.step(owner, `${inside ? 'in a transaction: ' : ''}${oneLine(sql)}`);
      return rows;
    };
    return {
      async query<R extends Row = Row>(sql: string, params?: SqlValue[]): Promise<R[]> {
        owner.alive();
        if (connection.tx) {
          throw new Error(
            'db.query() was called while a transaction of this database is open: inside transaction(work), run every statement on the tx that work receives',
          );
        }
        return runStep(sql, params, undefined) as R[];
      },
      async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
        owner.alive();
        if (connection.tx) {
          throw new Error('transaction() was called while another transaction of this database is open: SQLite runs one at a time, and does not nest them');
        }
        connection.raw.exec('BEGIN');
        const open: OpenTransaction = { owner, open: true };
        connection.tx = open;
        const tx: Sql = {
          async query<R extends Row = Row>(sql: string, params?: SqlValue[]): Promise<R[]> {
            owner.alive();
            if (!open.open) throw new Error('tx.query() was called after its transaction had ended: use tx only inside work');
            return runStep(sql, params, open) as R[];
          },
        };
        let result: T;
        try {
          result = await work(tx);
          owner.alive(); // work swallowed the crash: a dead process commits nothing
        } catch (error) {
          if (open.open) {
            connection.raw.exec('ROLLBACK');
            open.open = false;
            connection.tx = undefined;
          }
          throw error;
        }
        connection.raw.exec('COMMIT');
        open.open = false;
        connection.tx = undefined;
        sink.step(owner, 'COMMIT');
        return result;
      },
    };
  }

  close(): void {
    for (const statement of this.statements.values()) statement.free();
    this.raw.close();
  }
}

function checkParams(params: unknown): void {
  if (params === undefined) return;
  if (!Array.isArray(params)) throw new Error(`query()'s params must be an array of values, one per ?; it was given ${typeof params}`);
  params.forEach((value, i) => {
    const ok = value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      throw new Error(`query() parameter ${i + 1} is ${value === undefined ? 'undefined' : typeof value}: SQLite takes a string, a finite number or null`);
    }
  });
}

/** A statement on one line, shortened: how steps are named in failure messages. */
export function oneLine(sql: string, max = 90): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
