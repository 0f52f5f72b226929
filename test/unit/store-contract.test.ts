// The store's contract on both engines (SQLite file and a real PostgreSQL
// from scripts/pg-test-cluster.sh): the same migrations, the same CAS
// answers, and the multi-replica primitives — batch claims with leases that
// two replicas never share, leases that expire, quota decisions serialized
// per project, and restart recovery that leaves a live replica's rows alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MIGRATIONS, SCHEMA_VERSION } from '../../src/controller/migrations';
import { PostgresEngine, postgresSchemaVersion } from '../../src/controller/pg-engine';
import { Quota } from '../../src/controller/quota';
import { openEngine, type SqlEngine } from '../../src/controller/sql';
import { SqliteEngine } from '../../src/controller/sqlite-engine';
import { Store, type NewInstance } from '../../src/controller/store';
import { ManualClock } from '../helpers/clocks';
import { freshDatabase } from '../helpers/pg';

type Kind = 'sqlite' | 'postgres';

interface Db {
  url: string;
  /**
   * Another replica's engine on the same database. SQLite: the same engine —
   * replicas on one file are separate processes, each with its own
   * single-writer lock (better-sqlite3 is synchronous: two connections in
   * one process would wait on each other inside one event loop).
   */
  open(): Promise<SqlEngine>;
  close(): Promise<void>;
}

async function database(kind: Kind): Promise<Db> {
  const engines: SqlEngine[] = [];
  let url: string;
  let drop: () => Promise<void>;
  if (kind === 'postgres') {
    ({ url, drop } = await freshDatabase());
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-contract-'));
    url = path.join(dir, 'c.db');
    drop = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    url,
    async open() {
      if (kind === 'sqlite' && engines[0]) return engines[0];
      const e = await openEngine(url);
      engines.push(e);
      return e;
    },
    async close() {
      for (const e of engines) await e.close();
      await drop();
    },
  };
}

const inst = (uuid: string, extra: Partial<NewInstance> = {}): NewInstance => ({
  uuid, name: uuid, project_id: 'p', host: 'h1', vcpus: 1, memory_mib: 64, vm_state: 'active', task_state: 'none', quota_held: 1, ...extra,
});

describe.each<Kind>(['sqlite', 'postgres'])('store contract on %s', (kind) => {
  let db: Db;
  let clock: ManualClock;
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    db = await database(kind);
    clock = new ManualClock();
    a = new Store(await db.open(), clock);
    b = new Store(await db.open(), clock);
  });
  afterEach(async () => db.close());

  /** n soft-deleted rows, deleted at t = 1000 + i. */
  async function softDeleted(n: number, store = a): Promise<string[]> {
    const uuids: string[] = [];
    for (let i = 0; i < n; i++) {
      const uuid = `s-${String(i).padStart(4, '0')}`;
      await store.insertInstance(inst(uuid, { quota_held: 0 }));
      await store.cas(uuid, { vm: ['active'], task: ['none'] }, { vm_state: 'soft_deleted', deleted_at: 1000 + i });
      uuids.push(uuid);
    }
    return uuids;
  }

  it('migrates to the current version once, also when two replicas open it together', async () => {
    expect(a.engine.dialect).toBe(kind);
    const more = await Promise.all([db.open(), db.open()]);
    if (kind === 'postgres') {
      expect(await postgresSchemaVersion(more[0] as PostgresEngine)).toBe(SCHEMA_VERSION);
      expect((await a.engine.all('SELECT version FROM schema_migrations ORDER BY version')).length).toBe(MIGRATIONS.length);
    } else {
      expect((more[0] as SqliteEngine).db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    }
    // Every column a row has is the same on both engines.
    await a.insertInstance(inst('x'));
    expect(Object.keys((await a.getInstance('x'))!).sort()).toMatchInlineSnapshot(`
      [
        "cleanup_attempts",
        "cleanup_error",
        "cleanup_next_at",
        "cleanup_volumes",
        "created_at",
        "deleted_at",
        "error",
        "host",
        "launched",
        "lease_expires_at",
        "lease_owner",
        "memory_mib",
        "name",
        "needs_host_cleanup",
        "pending_power_off",
        "power_off_attempts",
        "power_off_error",
        "power_off_next_at",
        "power_state",
        "project_id",
        "quota_held",
        "reclaim_attempts",
        "reclaim_error",
        "reclaim_next_at",
        "task_state",
        "updated_at",
        "uuid",
        "vcpus",
        "vm_state",
      ]
    `);
  });

  it('answers the CAS the same way, with numbers for integers', async () => {
    await a.insertInstance(inst('a'));
    expect(await a.cas('a', { vm: ['stopped'], task: ['none'] }, { task_state: 'powering_on' })).toBe(false);
    expect(await a.cas('a', { vm: ['active'], task: ['none'] }, { task_state: 'powering_off' })).toBe(true);
    expect(await b.cas('a', { vm: ['active'], task: ['none'] }, { task_state: 'powering_off' })).toBe(false);
    const row = (await b.getInstance('a'))!;
    expect(row).toMatchObject({ vm_state: 'active', task_state: 'powering_off', vcpus: 1, quota_held: 1 });
    expect(typeof row.created_at).toBe('number');
    expect(await a.quotaUsage('p')).toEqual({ instances: 1, vcpus: 1, memoryMib: 64 });
    expect(await a.counts.backlog(0)).toEqual({ reclaimDue: 0, reclaimRetrying: 0, pendingPowerOffs: 0, pendingCleanups: 0 });
    const first = await a.startAction('a', 'stop', { requestId: 'r', user: 'u' });
    const second = await b.startAction('a', 'stop', { requestId: 'r', user: 'u' });
    expect([first.attempt, second.attempt]).toEqual([1, 2]);
    expect(second.id).toBeGreaterThan(first.id);
  });

  it('a violated CHECK rolls the whole transaction back', async () => {
    await a.insertInstance(inst('a'));
    await expect(a.tx(async () => {
      await a.cas('a', { vm: ['active'], task: ['none'] }, { power_state: 'PAUSED' });
      await a.cas('a', { vm: ['active'], task: ['none'] }, { vm_state: 'deleted' }); // deleted_at must be set
    })).rejects.toThrow();
    expect((await a.getInstance('a'))!.power_state).toBe('NOSTATE');
  });

  it('two replicas claiming due work at once get disjoint batches that cover it all', async () => {
    const uuids = await softDeleted(30);
    const now = clock.now();
    const lease = (owner: string) => ({ owner, now, expiresAt: now + 60_000, limit: 20 });
    const [ra, rb] = await Promise.all([a.leases.claimDue('reclaim', lease('A'), 5000), b.leases.claimDue('reclaim', lease('B'), 5000)]);
    const got = [...ra, ...rb].map((r) => r.uuid);
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual(uuids);
    expect(ra.every((r) => r.lease_owner === 'A') && rb.every((r) => r.lease_owner === 'B')).toBe(true);
    // Leased rows are nobody else's until the lease expires or is given back.
    expect(await b.leases.claimDue('reclaim', lease('C'), 5000)).toHaveLength(0);
    await a.leases.releaseLeases('A', ra.slice(0, 3).map((r) => r.uuid));
    expect((await b.leases.claimDue('reclaim', lease('C'), 5000)).map((r) => r.uuid).sort()).toEqual(ra.slice(0, 3).map((r) => r.uuid).sort());
    // A dies: once its leases expire, C takes the rest of its batch (and B's, also expired).
    clock.advance(60_001);
    const later = clock.now();
    const taken = await b.leases.claimDue('reclaim', { owner: 'C', now: later, expiresAt: later + 60_000, limit: 100 }, 5000);
    expect(taken.map((r) => r.uuid).sort()).toEqual(uuids);
  });

  it('a claimed row that a task took is not given back by the batch', async () => {
    await softDeleted(2);
    const now = clock.now();
    const rows = await a.leases.claimDue('reclaim', { owner: 'A', now, expiresAt: now + 1000, limit: 10 }, 5000);
    expect(rows).toHaveLength(2);
    await a.cas('s-0000', { vm: ['soft_deleted'], task: ['none'] }, { task_state: 'deleting', lease_owner: 'A', lease_expires_at: now + 9000 });
    await a.leases.releaseLeases('A', rows.map((r) => r.uuid));
    expect(await a.getInstance('s-0000')).toMatchObject({ lease_owner: 'A', lease_expires_at: now + 9000 });
    expect(await a.getInstance('s-0001')).toMatchObject({ lease_owner: null, lease_expires_at: null });
  });

  it('restart recovery takes its own rows, expired ones and unleased ones — never a live replica\'s', async () => {
    const now = clock.now();
    for (const [uuid, owner, expires] of [
      ['mine', 'A', now + 10_000], ['live', 'B', now + 10_000], ['dead', 'B', now - 1], ['legacy', null, null],
    ] as const) {
      await a.insertInstance(inst(uuid, { task_state: 'powering_off', lease_owner: owner, lease_expires_at: expires }));
    }
    const ids = async (mode: 'startup' | 'expired') => (await a.interrupted('A', now, mode)).map((r) => r.uuid).sort();
    expect(await ids('startup')).toEqual(['dead', 'legacy', 'mine']);
    expect(await ids('expired')).toEqual(['dead']);
  });

  it('quota checks of one project are serialized across replicas: the last slot goes to one of them', async () => {
    const limits = { defaults: { instances: 3, vcpus: -1, memoryMib: -1 }, projects: {} };
    const stores = [a, b, new Store(await db.open(), clock), new Store(await db.open(), clock)];
    await a.insertInstance(inst('held-1'));
    await a.insertInstance(inst('held-2'));
    const results = await Promise.allSettled(stores.map((s, i) => s.tx(async () => {
      await new Quota(s, limits).check('p', { instances: 1, vcpus: 1, memoryMib: 64 });
      await s.insertInstance(inst(`new-${i}`));
    })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/quota exceeded for project p/);
    expect(await a.quotaUsage('p')).toEqual({ instances: 3, vcpus: 3, memoryMib: 192 });
  });

  it('a row locked by one replica\'s transaction waits the other replica\'s claim until it commits', async () => {
    await a.insertInstance(inst('a'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const first = a.tx(async () => {
      await a.requireInstanceForUpdate('a');
      locked();
      await gate;
      return a.cas('a', { vm: ['active'], task: ['none'] }, { task_state: 'powering_off' });
    });
    await isLocked;
    const second = b.tx(async () => {
      const row = await b.requireInstanceForUpdate('a');
      return b.cas('a', { vm: [row.vm_state], task: [row.task_state] }, { task_state: row.task_state === 'none' ? 'powering_on' : row.task_state });
    });
    release();
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    // The second saw the first's claim (it read after the commit): the row was never claimed twice from 'none'.
    expect((await a.getInstance('a'))!.task_state).toBe('powering_off');
  });
});
