// Schema migrations, in order, for both engines. Migration i brings the
// database from version i to i + 1 (SQLite: PRAGMA user_version; PostgreSQL:
// the schema_migrations table); each runs in its own transaction. Never edit
// a shipped migration: add a new one.
//
// The SQL is written once, in the SQLite dialect, and translated for
// PostgreSQL by postgresSql(): every INTEGER column is a BIGINT there (the
// timestamps are epoch milliseconds) and the action log's key is an
// identity column. Everything else (partial indexes, CHECKs, ALTER TABLE ADD
// COLUMN) is the same in both.

export interface Migration {
  /** What the migration does, for the log. */
  name: string;
  sql: string;
}

const V1 = `
CREATE TABLE instances (
  uuid                TEXT PRIMARY KEY NOT NULL,
  name                TEXT NOT NULL,
  project_id          TEXT NOT NULL,
  host                TEXT NOT NULL,
  vcpus               INTEGER NOT NULL CHECK (vcpus > 0),
  memory_mib          INTEGER NOT NULL CHECK (memory_mib > 0),
  vm_state            TEXT NOT NULL CHECK (vm_state IN ('building','active','stopped','soft_deleted','deleted','error')),
  task_state          TEXT NOT NULL CHECK (task_state IN ('none','spawning','powering_off','powering_on','soft_deleting','restoring','deleting')),
  power_state         TEXT NOT NULL DEFAULT 'NOSTATE',
  quota_held          INTEGER NOT NULL DEFAULT 0 CHECK (quota_held IN (0, 1)),
  deleted_at          INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  error               TEXT,
  needs_host_cleanup  INTEGER NOT NULL DEFAULT 0 CHECK (needs_host_cleanup IN (0, 1)),
  cleanup_volumes     TEXT,
  -- Only a live instance (or one being restored) holds quota.
  CHECK (quota_held = 0 OR vm_state <> 'deleted'),
  CHECK (quota_held = 0 OR vm_state <> 'soft_deleted' OR task_state = 'restoring'),
  -- deleted_at is set exactly while soft deleted or deleted.
  CHECK ((deleted_at IS NOT NULL) = (vm_state IN ('soft_deleted', 'deleted')))
);
CREATE INDEX instances_quota ON instances (project_id) WHERE quota_held = 1;
CREATE INDEX instances_reclaim ON instances (deleted_at) WHERE vm_state = 'soft_deleted' AND task_state = 'none';
CREATE INDEX instances_cleanup ON instances (host) WHERE needs_host_cleanup = 1;
CREATE INDEX instances_list ON instances (project_id, host, vm_state);

CREATE TABLE volumes (
  id                     TEXT PRIMARY KEY NOT NULL,
  instance_uuid          TEXT REFERENCES instances (uuid),
  status                 TEXT NOT NULL CHECK (status IN ('available','attaching','in-use','detaching','error_detaching')),
  target_dev             TEXT,
  connection_info        TEXT,
  delete_on_termination  INTEGER NOT NULL DEFAULT 0 CHECK (delete_on_termination IN (0, 1)),
  error                  TEXT,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  -- Attached in every status but available.
  CHECK ((status = 'available') = (instance_uuid IS NULL))
);
CREATE INDEX volumes_instance ON volumes (instance_uuid);
CREATE UNIQUE INDEX volumes_target ON volumes (instance_uuid, target_dev) WHERE instance_uuid IS NOT NULL AND target_dev IS NOT NULL;

CREATE TABLE instance_actions (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_uuid     TEXT NOT NULL REFERENCES instances (uuid),
  action            TEXT NOT NULL,
  request_id        TEXT NOT NULL,
  user_id           TEXT NOT NULL,
  agent_request_id  TEXT,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  result            TEXT CHECK (result IS NULL OR result IN ('success', 'error')),
  message           TEXT
);
CREATE INDEX instance_actions_instance ON instance_actions (instance_uuid, action);
`;

// The deferred host cleanup remembers how often it tried and why it failed.
const V2 = `
ALTER TABLE instances ADD COLUMN cleanup_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN cleanup_error TEXT;
`;

// Failures are never terminal (issue 11): a soft delete done in the records
// while the host was down leaves a pending power-off; the reclaim, the
// pending power-off and the host cleanup are retried with backoff (attempts,
// last error, not before *_next_at); a detach the host could not answer
// stays pending. launched: the create succeeded, so a delete keeps it soft
// (Nova's must_have_launched); rows from before this migration are marked
// launched unless their create failed.
const V3 = `
ALTER TABLE instances ADD COLUMN launched INTEGER NOT NULL DEFAULT 0 CHECK (launched IN (0, 1));
ALTER TABLE instances ADD COLUMN pending_power_off INTEGER NOT NULL DEFAULT 0 CHECK (pending_power_off IN (0, 1));
ALTER TABLE instances ADD COLUMN power_off_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN power_off_error TEXT;
ALTER TABLE instances ADD COLUMN power_off_next_at INTEGER;
ALTER TABLE instances ADD COLUMN reclaim_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN reclaim_error TEXT;
ALTER TABLE instances ADD COLUMN reclaim_next_at INTEGER;
ALTER TABLE instances ADD COLUMN cleanup_next_at INTEGER;
UPDATE instances SET launched = 1
 WHERE vm_state IN ('active', 'stopped', 'soft_deleted')
    OR (vm_state = 'error' AND COALESCE(error, '') NOT LIKE 'create failed%'
        AND COALESCE(error, '') NOT LIKE 'controller restarted during spawning%');
CREATE INDEX instances_power_off ON instances (host) WHERE pending_power_off = 1;

ALTER TABLE volumes ADD COLUMN detach_pending INTEGER NOT NULL DEFAULT 0 CHECK (detach_pending IN (0, 1));
ALTER TABLE volumes ADD COLUMN detach_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE volumes ADD COLUMN detach_next_at INTEGER;
CREATE INDEX volumes_detach_pending ON volumes (instance_uuid) WHERE detach_pending = 1;
`;

// Several replicas (issue 15): a lease (owner, expiry) on an instance while
// a replica works on it, taken by the periodic task's batch claims and by
// every task claim, so restart recovery takes only rows whose lease is its
// own, expired or absent. hosts: the agents that registered (or were
// configured with --agent), their last heartbeat and whether new instances
// may be placed on them.
const V4 = `
ALTER TABLE instances ADD COLUMN lease_owner TEXT;
ALTER TABLE instances ADD COLUMN lease_expires_at INTEGER;
CREATE INDEX instances_task ON instances (task_state) WHERE task_state <> 'none';
CREATE INDEX instances_soft_deleted ON instances (deleted_at) WHERE vm_state = 'soft_deleted';

CREATE TABLE hosts (
  name               TEXT PRIMARY KEY NOT NULL,
  address            TEXT NOT NULL,
  static             INTEGER NOT NULL DEFAULT 0 CHECK (static IN (0, 1)),
  libvirt_uri        TEXT NOT NULL DEFAULT '',
  libvirt_version    TEXT NOT NULL DEFAULT '',
  agent_version      TEXT NOT NULL DEFAULT '',
  vcpus              INTEGER NOT NULL DEFAULT 0,
  memory_mib         INTEGER NOT NULL DEFAULT 0,
  registered_at      INTEGER NOT NULL,
  last_heartbeat_at  INTEGER,
  disabled           INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  disabled_reason    TEXT,
  updated_at         INTEGER NOT NULL
);
`;

export const MIGRATIONS: readonly Migration[] = [
  { name: 'instances, volumes, instance_actions', sql: V1 },
  { name: 'host cleanup attempts and error', sql: V2 },
  { name: 'pending power-off, retries with backoff, pending detach, launched', sql: V3 },
  { name: 'leases for several replicas, registered hosts', sql: V4 },
];

/** A migration's SQL in PostgreSQL's dialect (see the header). */
export function postgresSql(sql: string): string {
  return sql
    .replace(/INTEGER PRIMARY KEY AUTOINCREMENT/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT');
}

export const SCHEMA_VERSION = MIGRATIONS.length;
