// The repository: every read and write of instances, volumes, quota usage and
// the action log, and the only module with SQL in it (besides the schema in
// migrations.ts). State changes are compare-and-swap updates (UPDATE ...
// WHERE the current vm_state/task_state, or volume status, is what the caller
// saw): callers run them inside tx() together with the reads and quota checks
// they depend on, and treat "0 rows changed" as losing the race. The SQL is
// written once for both engines (sql.ts: SQLite and PostgreSQL); where the
// dialects differ (row locks, advisory locks) the store asks the engine's
// dialect.
//
// Several replicas: a row a replica works on carries a lease (lease_owner,
// lease_expires_at). The periodic task claims its batches with
// leases.claimDue() (store-leases.ts; FOR UPDATE SKIP LOCKED on PostgreSQL:
// replicas never block on or share a row), every task claim takes the lease
// too (claim.ts) and its replica renews it while the task runs
// (task-leases.ts), and restart recovery takes only rows whose lease is its
// own, expired or absent.
import { NotFound } from '../errors';
import type { SqlEngine, SqlValue } from './sql';
import { StoreCounts } from './store-counts';
import { StoreLeases } from './store-leases';
import {
  CHANGE_COLUMNS, DETACHED, DUE, placeholders, setClause, VOLUME_CHANGE_COLUMNS,
  type InstanceChange, type InstanceExpect, type InstanceFilter, type NewInstance, type NewVolume,
  type PendingDetach, type VolumeChange,
} from './store-sql';
import type {
  ActionRow, Clock, InstanceRow, QuotaCounts, RequestContext, VolumeRow, VolumeStatus,
} from './types';

export type {
  DueWork, InstanceChange, InstanceExpect, InstanceFilter, LeaseRequest, NewInstance, NewVolume, PendingDetach, VolumeChange,
} from './store-sql';

export class Store {
  /** Read-only aggregates (metrics, ListHosts). */
  readonly counts: StoreCounts;
  /** Batch claims of periodic work, lease renewals and give-backs. */
  readonly leases: StoreLeases;

  constructor(
    readonly engine: SqlEngine,
    readonly clock: Clock,
  ) {
    this.counts = new StoreCounts(engine);
    this.leases = new StoreLeases(engine, clock);
  }

  /**
   * Runs fn in one transaction (SQLite: IMMEDIATE under the single-writer
   * lock; PostgreSQL: the rows decided on are locked with
   * getInstanceForUpdate). Never call an agent inside.
   */
  tx<T>(fn: () => Promise<T>): Promise<T> {
    return this.engine.tx(fn);
  }

  /** " FOR UPDATE" on PostgreSQL (SQLite's IMMEDIATE transaction already excludes every other writer). */
  private get forUpdate(): string {
    return this.engine.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  // ---------------------------------------------------------------- instances

  getInstance(uuid: string): Promise<InstanceRow | undefined> {
    return this.engine.get<InstanceRow>('SELECT * FROM instances WHERE uuid = ?', [uuid]);
  }

  async requireInstance(uuid: string): Promise<InstanceRow> {
    const row = await this.getInstance(uuid);
    if (!row) throw new NotFound(`instance ${uuid} not found`);
    return row;
  }

  /** Inside tx(): the row, locked until the transaction ends (another replica's claim waits, then sees the change). */
  async requireInstanceForUpdate(uuid: string): Promise<InstanceRow> {
    const row = await this.engine.get<InstanceRow>(`SELECT * FROM instances WHERE uuid = ?${this.forUpdate}`, [uuid]);
    if (!row) throw new NotFound(`instance ${uuid} not found`);
    return row;
  }

  listInstances(filter: InstanceFilter): Promise<InstanceRow[]> {
    const where: string[] = [];
    const args: string[] = [];
    const add = (clause: string, value: string) => {
      where.push(clause);
      args.push(value);
    };
    if (filter.project_id) add('project_id = ?', filter.project_id);
    if (filter.host) add('host = ?', filter.host);
    if (filter.vm_state) add('vm_state = ?', filter.vm_state);
    else where.push("vm_state <> 'deleted'");
    return this.engine.all<InstanceRow>(`SELECT * FROM instances WHERE ${where.join(' AND ')} ORDER BY created_at, uuid`, args);
  }

  async insertInstance(row: NewInstance): Promise<void> {
    const now = this.clock.now();
    await this.engine.run(
      `INSERT INTO instances (uuid, name, project_id, host, vcpus, memory_mib, vm_state, task_state, quota_held, created_at, updated_at,
                              lease_owner, lease_expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.uuid, row.name, row.project_id, row.host, row.vcpus, row.memory_mib, row.vm_state, row.task_state, row.quota_held, now, now,
        row.lease_owner ?? null, row.lease_expires_at ?? null],
    );
  }

  /**
   * The compare-and-swap: applies `change` only when the row's vm_state and
   * task_state are among `expect`'s. Returns whether it did.
   */
  async cas(uuid: string, expect: InstanceExpect, change: InstanceChange): Promise<boolean> {
    const { sql, params } = this.casStatement(uuid, expect, change);
    return (await this.engine.run(sql, params)) === 1;
  }

  /** cas(), answering the row as changed (undefined when the swap was lost): one statement instead of two. */
  casRow(uuid: string, expect: InstanceExpect, change: InstanceChange): Promise<InstanceRow | undefined> {
    const { sql, params } = this.casStatement(uuid, expect, change);
    return this.engine.get<InstanceRow>(`${sql} RETURNING *`, params);
  }

  private casStatement(uuid: string, expect: InstanceExpect, change: InstanceChange): { sql: string; params: SqlValue[] } {
    const set = setClause(change, CHANGE_COLUMNS);
    const params: SqlValue[] = [...set.params, this.clock.now(), uuid, ...expect.vm, ...expect.task];
    let sql = `UPDATE instances SET ${set.sql ? `${set.sql}, ` : ''}updated_at = ? WHERE uuid = ?`
      + ` AND vm_state IN (${placeholders(expect.vm.length)}) AND task_state IN (${placeholders(expect.task.length)})`;
    if (expect.deletedAtOrBefore !== undefined) {
      sql += ' AND deleted_at <= ?';
      params.push(expect.deletedAtOrBefore);
    }
    return { sql, params };
  }

  /**
   * Soft-deleted rows with no task whose deleted_at is at or before `cutoff`
   * and whose retry backoff (if any) has passed at `now`, oldest first.
   */
  reclaimable(cutoff: number, limit: number, now = this.clock.now()): Promise<InstanceRow[]> {
    return this.engine.all<InstanceRow>(`SELECT * FROM instances WHERE ${DUE.reclaim.where} ORDER BY ${DUE.reclaim.order} LIMIT ?`, [cutoff, now, limit]);
  }

  /** Soft-deleted rows with no task whose power-off is pending and due at `now`. */
  pendingPowerOffs(limit: number, now = this.clock.now()): Promise<InstanceRow[]> {
    return this.engine.all<InstanceRow>(`SELECT * FROM instances WHERE ${DUE.power_off.where} ORDER BY ${DUE.power_off.order} LIMIT ?`, [now, limit]);
  }

  /** Deleted rows whose domain is still to be destroyed on their host, due at `now`. */
  pendingCleanups(now = this.clock.now()): Promise<InstanceRow[]> {
    return this.engine.all<InstanceRow>(`SELECT * FROM instances WHERE ${DUE.cleanup.where} ORDER BY ${DUE.cleanup.order}`, [now]);
  }

  /**
   * Rows left in a transient task that `owner` may recover. At start-up
   * ('startup'): its own (it restarted), those with an expired lease at
   * `now`, and those with none (rows from before leases). While running
   * ('expired'): only other replicas' expired leases — its own rows are
   * tasks it is running. Without an owner: every row in a task.
   */
  interrupted(owner?: string, now = this.clock.now(), mode: 'startup' | 'expired' = 'startup'): Promise<InstanceRow[]> {
    if (owner === undefined) return this.engine.all<InstanceRow>("SELECT * FROM instances WHERE task_state <> 'none'");
    if (mode === 'expired') {
      return this.engine.all<InstanceRow>(
        `SELECT * FROM instances WHERE task_state <> 'none' AND lease_owner <> ? AND lease_expires_at <= ?${this.forUpdate}`, [owner, now]);
    }
    return this.engine.all<InstanceRow>(
      `SELECT * FROM instances WHERE task_state <> 'none'
          AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at IS NULL OR lease_expires_at <= ?)${this.forUpdate}`,
      [owner, now],
    );
  }

  // ---------------------------------------------------------------- volumes

  getVolume(id: string): Promise<VolumeRow | undefined> {
    return this.engine.get<VolumeRow>('SELECT * FROM volumes WHERE id = ?', [id]);
  }

  async requireVolume(id: string): Promise<VolumeRow> {
    const row = await this.getVolume(id);
    if (!row) throw new NotFound(`volume ${id} not found`);
    return row;
  }

  volumesOf(uuid: string): Promise<VolumeRow[]> {
    return this.engine.all<VolumeRow>('SELECT * FROM volumes WHERE instance_uuid = ? ORDER BY target_dev, id', [uuid]);
  }

  /** Inserts a new volume row, or re-attaches an available one (CAS on status available). Returns false when the volume is not available. */
  async attachVolume(v: NewVolume): Promise<boolean> {
    const now = this.clock.now();
    const updated = await this.engine.run(
      `UPDATE volumes SET instance_uuid = ?, status = ?, target_dev = ?, connection_info = ?, delete_on_termination = ?, error = NULL, updated_at = ?
        WHERE id = ? AND status = 'available'`,
      [v.instance_uuid, v.status, v.target_dev, v.connection_info, v.delete_on_termination, now, v.id],
    );
    if (updated === 1) return true;
    if (await this.getVolume(v.id)) return false;
    await this.engine.run(
      `INSERT INTO volumes (id, instance_uuid, status, target_dev, connection_info, delete_on_termination, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [v.id, v.instance_uuid, v.status, v.target_dev, v.connection_info, v.delete_on_termination, now, now],
    );
    return true;
  }

  /**
   * CAS on a volume attached to `uuid`: its status must be one of `from` (and
   * detach_pending `pending`, when given). The error is cleared unless set.
   */
  async casVolume(id: string, uuid: string, from: readonly VolumeStatus[], to: VolumeChange, pending?: 0 | 1): Promise<boolean> {
    const set = setClause({ ...to, error: to.error ?? null }, VOLUME_CHANGE_COLUMNS);
    const params: SqlValue[] = [...set.params, this.clock.now(), id, uuid, ...from];
    let sql = `UPDATE volumes SET ${set.sql}, updated_at = ? WHERE id = ? AND instance_uuid = ? AND status IN (${placeholders(from.length)})`;
    if (pending !== undefined) {
      sql += ' AND detach_pending = ?';
      params.push(pending);
    }
    return (await this.engine.run(sql, params)) === 1;
  }

  /** Detach (CAS on the attachment): back to available, attachment fields cleared. */
  async detachVolume(id: string, uuid: string, from: readonly VolumeStatus[]): Promise<boolean> {
    const sql = `UPDATE volumes SET ${DETACHED}, updated_at = ?
                  WHERE id = ? AND instance_uuid = ? AND status IN (${placeholders(from.length)})`;
    return (await this.engine.run(sql, [this.clock.now(), id, uuid, ...from])) === 1;
  }

  /** Every volume of a deleted instance: deleted when delete_on_termination, else available. */
  async releaseVolumes(uuid: string): Promise<void> {
    await this.engine.run('DELETE FROM volumes WHERE instance_uuid = ? AND delete_on_termination = 1', [uuid]);
    await this.engine.run(`UPDATE volumes SET ${DETACHED}, updated_at = ? WHERE instance_uuid = ?`, [this.clock.now(), uuid]);
  }

  /**
   * The volumes of an instance deleted in the records only: detaching (not
   * pending: the host cleanup's Destroy releases them once its host confirms).
   */
  async holdVolumesForCleanup(uuid: string, why: string): Promise<void> {
    await this.engine.run(
      `UPDATE volumes SET status = 'detaching', error = ?, detach_pending = 0, detach_next_at = NULL, updated_at = ?
        WHERE instance_uuid = ?`,
      [why, this.clock.now(), uuid],
    );
  }

  /** Detaches waiting for their host and due at `now`, with the host. */
  pendingDetaches(limit: number, now = this.clock.now()): Promise<PendingDetach[]> {
    return this.engine.all<PendingDetach>(
      `SELECT v.*, i.host AS host FROM volumes v JOIN instances i ON i.uuid = v.instance_uuid
        WHERE v.detach_pending = 1 AND v.status = 'detaching' AND (v.detach_next_at IS NULL OR v.detach_next_at <= ?)
          AND i.pending_power_off = 0 AND i.task_state = 'none'
        ORDER BY i.host, v.updated_at, v.id LIMIT ?`,
      [now, limit],
    );
  }

  /** Sets a volume's status as an administrator asked (ResetVolumeState); `available` also ends its attachment. */
  async resetVolume(id: string, status: VolumeStatus, note: string): Promise<void> {
    if (status === 'available') {
      await this.engine.run(`UPDATE volumes SET ${DETACHED}, updated_at = ? WHERE id = ?`, [this.clock.now(), id]);
      return;
    }
    await this.engine.run(
      `UPDATE volumes SET status = ?, error = ?, detach_pending = 0, detach_attempts = 0, detach_next_at = NULL, updated_at = ? WHERE id = ?`,
      [status, status === 'error_detaching' ? note : null, this.clock.now(), id],
    );
  }

  /** Drops a volume from a locally deleted instance's host-cleanup list (it was detached by hand meanwhile). */
  async dropCleanupVolume(uuid: string, volumeId: string): Promise<void> {
    const row = await this.getInstance(uuid);
    if (!row?.cleanup_volumes) return;
    const list = (JSON.parse(row.cleanup_volumes) as Array<{ volume_id: string }>).filter((v) => v.volume_id !== volumeId);
    await this.engine.run('UPDATE instances SET cleanup_volumes = ?, updated_at = ? WHERE uuid = ?', [JSON.stringify(list), this.clock.now(), uuid]);
  }

  // ---------------------------------------------------------------- restart recovery

  /**
   * Detaches that were running when a controller stopped become pending
   * (their instance not deleted): those last changed at or before
   * `changedBefore` (another live replica's detach is younger than its lease).
   */
  pendDetachingVolumes(changedBefore = Number.MAX_SAFE_INTEGER): Promise<number> {
    return this.engine.run(
      `UPDATE volumes SET detach_pending = 1, detach_next_at = NULL, updated_at = ?
        WHERE status = 'detaching' AND detach_pending = 0 AND updated_at <= ?
          AND instance_uuid IN (SELECT uuid FROM instances WHERE vm_state <> 'deleted')`,
      [this.clock.now(), changedBefore],
    );
  }

  /** Closes the open action records started at or before `startedBefore`. */
  async closeOpenActions(message: string, startedBefore = Number.MAX_SAFE_INTEGER): Promise<void> {
    await this.engine.run("UPDATE instance_actions SET finished_at = ?, result = 'error', message = ? WHERE finished_at IS NULL AND started_at <= ?",
      [this.clock.now(), message, startedBefore]);
  }

  /** Closes the open action records of one instance. */
  async closeOpenActionsOf(uuid: string, message: string): Promise<void> {
    await this.engine.run("UPDATE instance_actions SET finished_at = ?, result = 'error', message = ? WHERE finished_at IS NULL AND instance_uuid = ?",
      [this.clock.now(), message, uuid]);
  }

  // ---------------------------------------------------------------- quota

  /**
   * Inside tx(): serializes quota decisions of one project until the
   * transaction ends (PostgreSQL: an advisory lock on the project; SQLite's
   * single writer already does), so two replicas cannot both fit the last slot.
   */
  async lockQuota(projectId: string): Promise<void> {
    if (this.engine.dialect === 'postgres') await this.engine.run("SELECT pg_advisory_xact_lock(hashtext('quota:' || ?))", [projectId]);
  }

  /** What the project's instances hold now: those with quota_held = 1. */
  async quotaUsage(projectId: string): Promise<QuotaCounts> {
    const r = (await this.engine.get<{ instances: number; vcpus: number; memory_mib: number }>(
      `SELECT COUNT(*) AS instances, COALESCE(SUM(vcpus), 0) AS vcpus, COALESCE(SUM(memory_mib), 0) AS memory_mib
         FROM instances WHERE project_id = ? AND quota_held = 1`,
      [projectId],
    ))!;
    return { instances: r.instances, vcpus: r.vcpus, memoryMib: r.memory_mib };
  }

  // ---------------------------------------------------------------- actions

  /** Opens an action record; the attempt is 1 + the earlier actions of that name on the instance. */
  async startAction(uuid: string, action: string, ctx: RequestContext): Promise<{ id: number; attempt: number }> {
    const prior = (await this.engine.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM instance_actions WHERE instance_uuid = ? AND action = ?', [uuid, action],
    ))!.n;
    const r = (await this.engine.get<{ id: number }>(
      'INSERT INTO instance_actions (instance_uuid, action, request_id, user_id, started_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
      [uuid, action, ctx.requestId, ctx.user, this.clock.now()],
    ))!;
    return { id: r.id, attempt: prior + 1 };
  }

  /**
   * Opens an action record for work that calls an agent: its calls carry the
   * request id uuid:action:attempt, so the retries of one attempt dedupe at
   * the agent and the next attempt is a new request.
   */
  async startAgentAction(uuid: string, action: string, ctx: RequestContext): Promise<{ id: number; agentRequestId: string }> {
    // The attempt counted and the record inserted in one statement (one round trip on PostgreSQL, where a reclaim's are most of its cost).
    const r = (await this.engine.get<{ id: number; agent_request_id: string }>(
      `INSERT INTO instance_actions (instance_uuid, action, request_id, user_id, started_at, agent_request_id)
       SELECT ?, ?, ?, ?, ?, ? || ':' || ? || ':' || CAST(COUNT(*) + 1 AS TEXT) FROM instance_actions WHERE instance_uuid = ? AND action = ?
       RETURNING id, agent_request_id`,
      [uuid, action, ctx.requestId, ctx.user, this.clock.now(), uuid, action, uuid, action],
    ))!;
    return { id: r.id, agentRequestId: r.agent_request_id };
  }

  async finishAction(actionId: number, result: 'success' | 'error', message?: string): Promise<void> {
    await this.engine.run('UPDATE instance_actions SET finished_at = ?, result = ?, message = ? WHERE id = ? AND finished_at IS NULL',
      [this.clock.now(), result, message ?? null, actionId]);
  }

  actions(uuid: string): Promise<ActionRow[]> {
    return this.engine.all<ActionRow>('SELECT * FROM instance_actions WHERE instance_uuid = ? ORDER BY id', [uuid]);
  }
}
