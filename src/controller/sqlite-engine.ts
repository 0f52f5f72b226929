// The SQLite engine: better-sqlite3 (synchronous) behind the async SqlEngine
// calls. One writer at a time, as SQLite wants it: a transaction holds the
// engine's lock from BEGIN IMMEDIATE to COMMIT (across the awaits of its
// body), and a statement outside a transaction waits for that lock, so it
// never lands inside someone else's transaction on the shared connection.
import { AsyncLocalStorage } from 'node:async_hooks';

import { lockExclusive, type FileLock } from '../file-lock';
import { makeDatabaseDir, openDatabase, type Db, type OpenOptions } from './db';
import type { EngineOptions, SqlEngine, SqlValue } from './sql';

export class SqliteEngine implements SqlEngine {
  readonly dialect = 'sqlite' as const;
  private readonly inside = new AsyncLocalStorage<true>();
  /** Tail of the lock's queue: resolves when the holder releases. */
  private lockTail: Promise<void> = Promise.resolve();
  private held = false;

  constructor(readonly db: Db, private readonly fileLock?: FileLock) {}

  inTx(): boolean {
    return this.inside.getStore() === true;
  }

  /** Waits for the lock and returns its release. */
  private async lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const prev = this.lockTail;
    this.lockTail = prev.then(() => next);
    await prev;
    this.held = true;
    return () => {
      this.held = false;
      release();
    };
  }

  /** Runs a synchronous statement: at once inside a transaction or when the lock is free, else after it. */
  private async exclusive<T>(fn: () => T): Promise<T> {
    if (this.inTx()) return fn();
    if (!this.held) {
      // Nothing queued or running: no transaction is open on the connection.
      return fn();
    }
    const release = await this.lock();
    try {
      return fn();
    } finally {
      release();
    }
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.exclusive(() => this.db.prepare<SqlValue[], T>(sql).all(...params));
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.exclusive(() => this.db.prepare<SqlValue[], T>(sql).get(...params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.exclusive(() => this.db.prepare<SqlValue[]>(sql).run(...params).changes);
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx()) return fn();
    const release = await this.lock();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inside.run(true, fn);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    const release = await this.lock();
    try {
      this.db.close();
    } finally {
      this.fileLock?.release();
      release();
    }
  }
}

export function openSqlite(file: string, options: EngineOptions & Pick<OpenOptions, 'migrations' | 'targetVersion'> = {}): SqliteEngine {
  // Alone, SQLite's controller takes every row in a task at start-up (recovery.ts):
  // a second controller process on the same file would recover the first one's live tasks.
  let fileLock: FileLock | undefined;
  if (options.exclusive && file !== ':memory:') {
    makeDatabaseDir(file);
    fileLock = lockExclusive(`${file}.lock`, `database ${file} is in use by another virt-controller`,
      'refusing to start a second controller on it (several replicas need PostgreSQL: --db postgres://...)');
  }
  try {
    return new SqliteEngine(openDatabase(file, options), fileLock);
  } catch (err) {
    fileLock?.release();
    throw err;
  }
}
