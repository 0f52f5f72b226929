// The PostgreSQL engine: a pg pool shared by the controller's calls, one
// pooled connection per transaction (READ COMMITTED; the store locks the
// rows it decides on with FOR UPDATE and claims batches with FOR UPDATE
// SKIP LOCKED, so several replicas can share the database). Integers come
// back as JavaScript numbers (int8 and numeric are parsed: the values are
// counts and epoch milliseconds, far below 2^53). Migrations run under an
// advisory lock, so replicas starting together migrate once.
import { AsyncLocalStorage } from 'node:async_hooks';

import pg from 'pg';

import type { Logger } from '../logging';
import { MIGRATIONS, postgresSql, type Migration } from './migrations';
import type { EngineOptions, SqlEngine, SqlValue } from './sql';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** pg_advisory_xact_lock key of the migrations ("virtmig" in ASCII, as a decimal string: beyond 2^53). */
const MIGRATION_LOCK = '33329987552373095';
/** Serialization failures and deadlocks: the transaction is retried. */
const RETRYABLE = new Set(['40001', '40P01']);
const TX_ATTEMPTS = 5;

const parseNumber = (v: string): number => Number(v);
/** pg's type parsers, but int8 and numeric as numbers. */
const defaultParser = pg.types.getTypeParser as (oid: number, format?: string) => unknown;
const types = {
  getTypeParser: ((oid: number, format?: string): unknown => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return parseNumber;
    return defaultParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** `?` placeholders → $1, $2, ... (the store's SQL has no `?` inside literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = pg.Pool | pg.PoolClient;

export class PostgresEngine implements SqlEngine {
  readonly dialect = 'postgres' as const;
  private readonly current = new AsyncLocalStorage<pg.PoolClient>();
  private readonly texts = new Map<string, string>();

  constructor(readonly pool: pg.Pool, private readonly logger?: Logger) {}

  inTx(): boolean {
    return this.current.getStore() !== undefined;
  }

  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) {
      t = numberPlaceholders(sql);
      if (this.texts.size < 1000) this.texts.set(sql, t);
    }
    return t;
  }

  private on(): Queryable {
    return this.current.getStore() ?? this.pool;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const r = await this.on().query(this.text(sql), params as SqlValue[]);
    return r.rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const r = await this.on().query(this.text(sql), params as SqlValue[]);
    return r.rowCount ?? 0;
  }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTx()) return fn();
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await this.current.run(client, fn);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (err as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < TX_ATTEMPTS) {
          this.logger?.warn({ code, attempt }, 'transaction conflict; retried');
          continue;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The schema version: the highest migration applied (0 for a new database). */
export async function postgresSchemaVersion(engine: PostgresEngine): Promise<number> {
  await engine.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const r = await engine.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return r?.v ?? 0;
}

/** Applies the migrations after the database's version, each in a transaction under the migration lock. */
export async function migratePostgres(
  engine: PostgresEngine, migrations: readonly Migration[] = MIGRATIONS, target = migrations.length, logger?: Logger,
): Promise<number[]> {
  const current = await postgresSchemaVersion(engine);
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this build knows (${migrations.length})`);
  }
  const applied: number[] = [];
  for (let v = current; v < target; v++) {
    const m = migrations[v]!;
    const did = await engine.tx(async () => {
      await engine.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      // Re-check under the lock: another replica may have migrated meanwhile.
      const now = await engine.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      if ((now?.v ?? 0) !== v) return false;
      await engine.run(postgresSql(m.sql));
      await engine.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [v + 1, m.name, Date.now()]);
      return true;
    });
    if (did) {
      applied.push(v + 1);
      logger?.info({ version: v + 1, migration: m.name }, 'database migrated');
    }
  }
  return applied;
}

export async function openPostgres(url: string, options: EngineOptions & { migrations?: readonly Migration[]; targetVersion?: number } = {})
  : Promise<PostgresEngine> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // An idle connection that breaks (server restart) is dropped by the pool; log it instead of crashing.
  pool.on('error', (err) => options.logger?.warn({ err: err.message }, 'idle PostgreSQL connection failed'));
  const engine = new PostgresEngine(pool, options.logger);
  try {
    const migrations = options.migrations ?? MIGRATIONS;
    await migratePostgres(engine, migrations, options.targetVersion ?? migrations.length, options.logger);
    return engine;
  } catch (err) {
    await pool.end();
    throw err;
  }
}
