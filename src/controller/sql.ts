// The store's view of a database engine: a few async calls over SQL written
// once with `?` placeholders (the PostgreSQL engine numbers them), and
// transactions that the store's methods join by themselves (the running
// transaction is carried by AsyncLocalStorage, so a method called inside
// tx() uses its connection). Two engines: SQLite (sqlite-engine.ts, the
// embedded default, one writer at a time) and PostgreSQL (pg-engine.ts, a
// pool shared by several controller replicas).
import type { Logger } from '../logging';

export type Dialect = 'sqlite' | 'postgres';

export type SqlValue = string | number | null;

export interface SqlEngine {
  readonly dialect: Dialect;
  /** Every row of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs fn in one transaction whose reads are current and whose writes are
   * atomic (SQLite: BEGIN IMMEDIATE under the engine's single-writer lock;
   * PostgreSQL: READ COMMITTED on one pooled connection, row locks taken with
   * FOR UPDATE by the store). Nested calls join the running transaction.
   * Never await anything but the store inside (no agent call).
   */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether the caller runs inside tx(). */
  inTx(): boolean;
  close(): Promise<void>;
}

export interface EngineOptions {
  logger?: Logger;
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
  /**
   * SQLite: hold an exclusive lock on `<file>.lock` while open, so a second
   * controller on the same file fails at start (the controller's own open;
   * tests that share a file between engines leave it off).
   */
  exclusive?: boolean;
}

/** Whether `db` names a PostgreSQL database (postgres:// or postgresql:// URL). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//.test(db);
}

/** "postgres://user@host/db" without a password, for logs. */
export function redactDbUrl(db: string): string {
  return isPostgresUrl(db) ? db.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@') : db;
}

/** Opens the engine `db` names (a PostgreSQL URL, else a SQLite file path) and migrates it. */
export async function openEngine(db: string, options: EngineOptions = {}): Promise<SqlEngine> {
  if (isPostgresUrl(db)) {
    const { openPostgres } = await import('./pg-engine');
    return openPostgres(db, options);
  }
  const { openSqlite } = await import('./sqlite-engine');
  return openSqlite(db, options);
}
