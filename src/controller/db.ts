// The controller's SQLite database: opened with WAL, foreign keys and a busy
// timeout, then migrated to the schema version this build knows
// (PRAGMA user_version counts the migrations applied).
import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';

import type { Logger } from '../logging';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  logger?: Logger;
  /** For tests: a different migration list. */
  migrations?: readonly Migration[];
  /** For tests: stop at this version. */
  targetVersion?: number;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations after the database's user_version, each in its own
 * immediate transaction together with the version bump. Refuses a database
 * written by a newer build. Returns the versions applied.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS, target = migrations.length, logger?: Logger): number[] {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this build knows (${migrations.length})`);
  }
  const applied: number[] = [];
  for (let v = current; v < target; v++) {
    const m = migrations[v]!;
    db.transaction(() => {
      // Re-check inside the write lock: another process may have migrated meanwhile.
      if (schemaVersion(db) !== v) return;
      db.exec(m.sql);
      db.pragma(`user_version = ${v + 1}`);
      applied.push(v + 1);
    }).immediate();
    logger?.info({ version: v + 1, migration: m.name }, 'database migrated');
  }
  return applied;
}

/** Creates the directory a database file lives in (0700), unless it is ':memory:'. */
export function makeDatabaseDir(file: string): void {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
}

/** Opens (creating it and its directory if needed) and migrates the database. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const memory = file === ':memory:';
  makeDatabaseDir(file);
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
      if (mode.toLowerCase() !== 'wal') throw new Error(`${file}: cannot switch to WAL journaling (got ${mode})`);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (db.pragma('foreign_keys', { simple: true }) !== 1) throw new Error('SQLite without foreign key support');
    migrate(db, options.migrations ?? MIGRATIONS, options.targetVersion ?? (options.migrations ?? MIGRATIONS).length, options.logger);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
