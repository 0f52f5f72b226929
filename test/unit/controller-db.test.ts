// The controller database: migrations on an empty and on an existing file,
// pragmas, and the schema's own guards (CHECKs, foreign keys).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { migrate, openDatabase, schemaVersion } from '../../src/controller/db';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/controller/migrations';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-db-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const columns = (db: Database.Database, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

function insertInstance(db: Database.Database, uuid: string, extra: Record<string, unknown> = {}): void {
  const row = { uuid, name: 'n', project_id: 'p', host: 'h', vcpus: 1, memory_mib: 1, vm_state: 'active', task_state: 'none', quota_held: 1, deleted_at: null, created_at: 1, updated_at: 1, ...extra };
  const keys = Object.keys(row);
  db.prepare(`INSERT INTO instances (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(row);
}

describe('migrations', () => {
  it('bring an empty database to the current version, with WAL and foreign keys', () => {
    const file = path.join(dir, 'sub', 'c.db');
    const db = openDatabase(file);
    try {
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['instance_actions', 'instances', 'volumes']));
      expect(columns(db, 'instances')).toEqual(expect.arrayContaining(['needs_host_cleanup', 'cleanup_attempts', 'cleanup_error', 'quota_held']));
    } finally {
      db.close();
    }
    // Reopening applies nothing.
    const again = openDatabase(file);
    expect(migrate(again)).toEqual([]);
    again.close();
  });

  it('upgrade an existing database and keep its rows', () => {
    const file = path.join(dir, 'old.db');
    const v1 = openDatabase(file, { targetVersion: 1 });
    expect(schemaVersion(v1)).toBe(1);
    expect(columns(v1, 'instances')).not.toContain('cleanup_attempts');
    insertInstance(v1, 'u-1');
    v1.prepare("INSERT INTO volumes (id, instance_uuid, status, created_at, updated_at) VALUES ('v', 'u-1', 'in-use', 1, 1)").run();
    v1.close();

    const db = openDatabase(file);
    try {
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
      expect(db.prepare('SELECT uuid, cleanup_attempts, cleanup_error FROM instances').all()).toEqual([{ uuid: 'u-1', cleanup_attempts: 0, cleanup_error: null }]);
      expect(db.prepare('SELECT id, instance_uuid FROM volumes').all()).toEqual([{ id: 'v', instance_uuid: 'u-1' }]);
    } finally {
      db.close();
    }
  });

  it('refuse a database from a newer build, and roll back a failing migration', () => {
    const file = path.join(dir, 'new.db');
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openDatabase(file)).toThrow(/schema version 99 is newer/);

    const broken = [...MIGRATIONS, { name: 'broken', sql: 'CREATE TABLE t1 (x); CREATE TABLE nope (' }];
    const f2 = path.join(dir, 'broken.db');
    expect(() => openDatabase(f2, { migrations: broken })).toThrow();
    const db = openDatabase(f2);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 't1'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('schema guards', () => {
  it('reject impossible rows', () => {
    const db = openDatabase(path.join(dir, 'g.db'));
    try {
      insertInstance(db, 'ok');
      // Quota cannot be held by a deleted or (not restoring) soft-deleted instance.
      expect(() => insertInstance(db, 'x1', { vm_state: 'deleted', deleted_at: 5 })).toThrow(/CHECK/);
      expect(() => insertInstance(db, 'x2', { vm_state: 'soft_deleted', deleted_at: 5 })).toThrow(/CHECK/);
      insertInstance(db, 'x3', { vm_state: 'soft_deleted', task_state: 'restoring', deleted_at: 5 });
      // deleted_at only while soft deleted or deleted.
      expect(() => insertInstance(db, 'x4', { deleted_at: 5 })).toThrow(/CHECK/);
      expect(() => insertInstance(db, 'x5', { vm_state: 'soft_deleted', quota_held: 0 })).toThrow(/CHECK/);
      expect(() => insertInstance(db, 'x6', { vm_state: 'sleeping' })).toThrow(/CHECK/);
      // Volumes: attached in every status but available; the instance must exist.
      const vol = db.prepare('INSERT INTO volumes (id, instance_uuid, status, target_dev, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1)');
      expect(() => vol.run('v1', null, 'in-use', null)).toThrow(/CHECK/);
      expect(() => vol.run('v2', 'ok', 'available', null)).toThrow(/CHECK/);
      expect(() => vol.run('v3', 'missing', 'in-use', null)).toThrow(/FOREIGN KEY/);
      vol.run('v4', 'ok', 'in-use', 'vdb');
      expect(() => vol.run('v5', 'ok', 'in-use', 'vdb')).toThrow(/UNIQUE/);
      expect(() => db.prepare("INSERT INTO instance_actions (instance_uuid, action, request_id, user_id, started_at) VALUES ('missing', 'a', 'r', 'u', 1)").run())
        .toThrow(/FOREIGN KEY/);
    } finally {
      db.close();
    }
  });
});
