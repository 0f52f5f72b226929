// A real PostgreSQL for the tests (never a mock): one throwaway cluster per
// test run, started by vitest's globalSetup through the project's own
// scripts/pg-test-cluster.sh (Debian's postgresql package; no TCP port, the
// socket in a temp dir) and removed at the end; each test gets a database of
// its own. VIRT_TEST_DB=postgres runs the controller suites on it too
// (scripts/test.sh does a second pass so).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'pg-test-cluster.sh');
/** Set by the global setup for the workers. */
const URL_ENV = 'VIRT_TEST_PG_URL';

/** Which engine the controller suites use: VIRT_TEST_DB=postgres, else SQLite. */
export function testEngine(): 'sqlite' | 'postgres' {
  return process.env.VIRT_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

export interface PgCluster {
  url: string;
  dir: string;
  stop(): void;
}

/** Starts a throwaway cluster (scripts/pg-test-cluster.sh). */
export function startPgCluster(): PgCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virt-pg-'));
  const url = execFileSync('bash', [SCRIPT, 'start', dir], { encoding: 'utf8', timeout: 120_000 }).trim();
  let stopped = false;
  return {
    url, dir,
    stop() {
      if (stopped) return;
      stopped = true;
      execFileSync('bash', [SCRIPT, 'stop', dir], { encoding: 'utf8', timeout: 60_000 });
    },
  };
}

/** The run's cluster URL (from the global setup). */
export function clusterUrl(): string {
  const url = process.env[URL_ENV];
  if (!url) throw new Error(`${URL_ENV} is not set: the PostgreSQL cluster was not started by test/helpers/pg-global.ts`);
  return url;
}

/** A URL naming another database on the same cluster. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh, empty database on the run's cluster; drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = clusterUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(base, name),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export { URL_ENV as PG_URL_ENV };
