// The repository: every read and write of instances, volumes, quota usage and
// the action log, and the only module with SQL in it (besides the schema in
// migrations.ts). State changes are compare-and-swap updates (UPDATE ...
// WHERE the current vm_state/task_state, or volume status, is what the caller
// saw): callers run them inside tx() together with the reads and quota checks
// they depend on, and treat "0 rows changed" as losing the race. Another
// database engine is another class with these methods.
import { NotFound } from '../errors';
import type { Db } from './db';
import type {
  ActionRow, Clock, InstanceRow, PowerState, QuotaCounts, RequestContext, TaskState, VmState, VolumeRow, VolumeStatus,
} from './types';

/** The columns a transition may set. */
export interface InstanceChange {
  vm_state?: VmState;
  task_state?: TaskState;
  power_state?: PowerState;
  quota_held?: 0 | 1;
  deleted_at?: number | null;
  error?: string | null;
  needs_host_cleanup?: 0 | 1;
  cleanup_volumes?: string | null;
  cleanup_attempts?: number;
  cleanup_error?: string | null;
  cleanup_next_at?: number | null;
  launched?: 0 | 1;
  pending_power_off?: 0 | 1;
  power_off_attempts?: number;
  power_off_error?: string | null;
  power_off_next_at?: number | null;
  reclaim_attempts?: number;
  reclaim_error?: string | null;
  reclaim_next_at?: number | null;
}

/** The columns a volume transition may set (besides the attachment, which attach/detach/release own). */
export interface VolumeChange {
  status: VolumeStatus;
  error?: string | null;
  detach_pending?: 0 | 1;
  detach_attempts?: number;
  detach_next_at?: number | null;
}

/** A pending detach with its instance's host. */
export type PendingDetach = VolumeRow & { instance_uuid: string; host: string };

/** What the row must look like for the swap to happen. */
export interface InstanceExpect {
  vm: readonly VmState[];
  task: readonly TaskState[];
  /** Also require deleted_at <= this (the reclaim's claim). */
  deletedAtOrBefore?: number;
}

export type NewInstance = Pick<InstanceRow, 'uuid' | 'name' | 'project_id' | 'host' | 'vcpus' | 'memory_mib' | 'vm_state' | 'task_state' | 'quota_held'>;

export interface NewVolume {
  id: string;
  instance_uuid: string;
  status: VolumeStatus;
  target_dev: string | null;
  connection_info: string | null;
  delete_on_termination: 0 | 1;
}

export interface InstanceFilter {
  project_id?: string;
  host?: string;
  vm_state?: VmState;
}

const CHANGE_COLUMNS: ReadonlySet<string> = new Set([
  'vm_state', 'task_state', 'power_state', 'quota_held', 'deleted_at', 'error',
  'needs_host_cleanup', 'cleanup_volumes', 'cleanup_attempts', 'cleanup_error', 'cleanup_next_at',
  'launched', 'pending_power_off', 'power_off_attempts', 'power_off_error', 'power_off_next_at',
  'reclaim_attempts', 'reclaim_error', 'reclaim_next_at',
]);
const VOLUME_CHANGE_COLUMNS: ReadonlySet<string> = new Set(['status', 'error', 'detach_pending', 'detach_attempts', 'detach_next_at']);

/** "a = @a, b = @b" for the keys of `change` that are set, checked against `allowed`. */
function setClause(change: object, allowed: ReadonlySet<string>): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) continue;
    if (!allowed.has(k)) throw new Error(`not a transition column: ${k}`);
    sets.push(`${k} = @${k}`);
    params[k] = v;
  }
  return { sql: sets.join(', '), params };
}

/** Columns cleared whenever a volume leaves an attachment. */
const DETACHED = `status = 'available', instance_uuid = NULL, target_dev = NULL, connection_info = NULL, error = NULL,
                  detach_pending = 0, detach_attempts = 0, detach_next_at = NULL`;

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export class Store {
  constructor(
    readonly db: Db,
    readonly clock: Clock,
  ) {}

  /** Runs fn in one IMMEDIATE transaction (the write lock is taken up front, so reads in it are current). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---------------------------------------------------------------- instances

  getInstance(uuid: string): InstanceRow | undefined {
    return this.db.prepare<[string], InstanceRow>('SELECT * FROM instances WHERE uuid = ?').get(uuid);
  }

  requireInstance(uuid: string): InstanceRow {
    const row = this.getInstance(uuid);
    if (!row) throw new NotFound(`instance ${uuid} not found`);
    return row;
  }

  listInstances(filter: InstanceFilter): InstanceRow[] {
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
    const sql = `SELECT * FROM instances WHERE ${where.join(' AND ')} ORDER BY created_at, uuid`;
    return this.db.prepare<string[], InstanceRow>(sql).all(...args);
  }

  insertInstance(row: NewInstance): void {
    const now = this.clock.now();
    this.db.prepare(
      `INSERT INTO instances (uuid, name, project_id, host, vcpus, memory_mib, vm_state, task_state, quota_held, created_at, updated_at)
       VALUES (@uuid, @name, @project_id, @host, @vcpus, @memory_mib, @vm_state, @task_state, @quota_held, @now, @now)`,
    ).run({ ...row, now });
  }

  /**
   * The compare-and-swap: applies `change` only when the row's vm_state and
   * task_state are among `expect`'s. Returns whether it did.
   */
  cas(uuid: string, expect: InstanceExpect, change: InstanceChange): boolean {
    const set = setClause(change, CHANGE_COLUMNS);
    const sql = `UPDATE instances SET ${set.sql ? `${set.sql}, ` : ''}updated_at = @__now WHERE uuid = @__uuid`
      + ` AND vm_state IN (${expect.vm.map((_, i) => `@__vm${i}`).join(', ')})`
      + ` AND task_state IN (${expect.task.map((_, i) => `@__task${i}`).join(', ')})`
      + (expect.deletedAtOrBefore === undefined ? '' : ' AND deleted_at <= @__cutoff');
    const params: Record<string, unknown> = { ...set.params, __uuid: uuid, __now: this.clock.now() };
    if (expect.deletedAtOrBefore !== undefined) params['__cutoff'] = expect.deletedAtOrBefore;
    expect.vm.forEach((v, i) => (params[`__vm${i}`] = v));
    expect.task.forEach((t, i) => (params[`__task${i}`] = t));
    return this.db.prepare(sql).run(params).changes === 1;
  }

  /**
   * Soft-deleted rows with no task whose deleted_at is at or before `cutoff`
   * and whose retry backoff (if any) has passed at `now`, oldest first.
   */
  reclaimable(cutoff: number, limit: number, now = this.clock.now()): InstanceRow[] {
    return this.db.prepare<[number, number, number], InstanceRow>(
      `SELECT * FROM instances WHERE vm_state = 'soft_deleted' AND task_state = 'none' AND deleted_at <= ?
          AND (reclaim_next_at IS NULL OR reclaim_next_at <= ?)
        ORDER BY deleted_at, uuid LIMIT ?`,
    ).all(cutoff, now, limit);
  }

  /** Soft-deleted rows with no task whose power-off is pending and due at `now`. */
  pendingPowerOffs(limit: number, now = this.clock.now()): InstanceRow[] {
    return this.db.prepare<[number, number], InstanceRow>(
      `SELECT * FROM instances WHERE pending_power_off = 1 AND vm_state = 'soft_deleted' AND task_state = 'none'
          AND (power_off_next_at IS NULL OR power_off_next_at <= ?)
        ORDER BY host, deleted_at, uuid LIMIT ?`,
    ).all(now, limit);
  }

  /** Deleted rows whose domain is still to be destroyed on their host, due at `now`. */
  pendingCleanups(now = this.clock.now()): InstanceRow[] {
    return this.db.prepare<[number], InstanceRow>(
      `SELECT * FROM instances WHERE needs_host_cleanup = 1 AND vm_state = 'deleted' AND task_state = 'none'
          AND (cleanup_next_at IS NULL OR cleanup_next_at <= ?)
        ORDER BY host, deleted_at, uuid`,
    ).all(now);
  }

  /** Rows left in a transient task (the controller stopped mid-operation). */
  interrupted(): InstanceRow[] {
    return this.db.prepare<[], InstanceRow>("SELECT * FROM instances WHERE task_state <> 'none'").all();
  }

  // ---------------------------------------------------------------- volumes

  getVolume(id: string): VolumeRow | undefined {
    return this.db.prepare<[string], VolumeRow>('SELECT * FROM volumes WHERE id = ?').get(id);
  }

  requireVolume(id: string): VolumeRow {
    const row = this.getVolume(id);
    if (!row) throw new NotFound(`volume ${id} not found`);
    return row;
  }

  volumesOf(uuid: string): VolumeRow[] {
    return this.db.prepare<[string], VolumeRow>('SELECT * FROM volumes WHERE instance_uuid = ? ORDER BY target_dev, id').all(uuid);
  }

  /** Inserts a new volume row, or re-attaches an available one (CAS on status available). Returns false when the volume is not available. */
  attachVolume(v: NewVolume): boolean {
    const now = this.clock.now();
    const params = { ...v, now };
    const updated = this.db.prepare(
      `UPDATE volumes SET instance_uuid = @instance_uuid, status = @status, target_dev = @target_dev,
              connection_info = @connection_info, delete_on_termination = @delete_on_termination, error = NULL, updated_at = @now
        WHERE id = @id AND status = 'available'`,
    ).run(params);
    if (updated.changes === 1) return true;
    if (this.getVolume(v.id)) return false;
    this.db.prepare(
      `INSERT INTO volumes (id, instance_uuid, status, target_dev, connection_info, delete_on_termination, created_at, updated_at)
       VALUES (@id, @instance_uuid, @status, @target_dev, @connection_info, @delete_on_termination, @now, @now)`,
    ).run(params);
    return true;
  }

  /**
   * CAS on a volume attached to `uuid`: its status must be one of `from` (and
   * detach_pending `pending`, when given). The error is cleared unless set.
   */
  casVolume(id: string, uuid: string, from: readonly VolumeStatus[], to: VolumeChange, pending?: 0 | 1): boolean {
    const set = setClause({ ...to, error: to.error ?? null }, VOLUME_CHANGE_COLUMNS);
    const params = { ...set.params, __id: id, __uuid: uuid, __now: this.clock.now(), __pending: pending ?? null };
    from.forEach((f, i) => ((params as Record<string, unknown>)[`__from${i}`] = f));
    const sql = `UPDATE volumes SET ${set.sql}, updated_at = @__now WHERE id = @__id AND instance_uuid = @__uuid
                    AND status IN (${from.map((_, i) => `@__from${i}`).join(', ')})
                    AND (@__pending IS NULL OR detach_pending = @__pending)`;
    return this.db.prepare(sql).run(params).changes === 1;
  }

  /** Detach (CAS on the attachment): back to available, attachment fields cleared. */
  detachVolume(id: string, uuid: string, from: readonly VolumeStatus[]): boolean {
    const sql = `UPDATE volumes SET ${DETACHED}, updated_at = ?
                  WHERE id = ? AND instance_uuid = ? AND status IN (${placeholders(from.length)})`;
    return this.db.prepare(sql).run(this.clock.now(), id, uuid, ...from).changes === 1;
  }

  /** Every volume of a deleted instance: deleted when delete_on_termination, else available. */
  releaseVolumes(uuid: string): void {
    this.db.prepare('DELETE FROM volumes WHERE instance_uuid = ? AND delete_on_termination = 1').run(uuid);
    this.db.prepare(`UPDATE volumes SET ${DETACHED}, updated_at = ? WHERE instance_uuid = ?`).run(this.clock.now(), uuid);
  }

  /**
   * The volumes of an instance deleted in the records only: detaching (not
   * pending: the host cleanup's Destroy releases them once its host confirms).
   */
  holdVolumesForCleanup(uuid: string, why: string): void {
    this.db.prepare(
      `UPDATE volumes SET status = 'detaching', error = ?, detach_pending = 0, detach_next_at = NULL, updated_at = ?
        WHERE instance_uuid = ?`,
    ).run(why, this.clock.now(), uuid);
  }

  /** Detaches waiting for their host and due at `now`, with the host. */
  pendingDetaches(limit: number, now = this.clock.now()): PendingDetach[] {
    return this.db.prepare<[number, number], PendingDetach>(
      `SELECT v.*, i.host AS host FROM volumes v JOIN instances i ON i.uuid = v.instance_uuid
        WHERE v.detach_pending = 1 AND v.status = 'detaching' AND (v.detach_next_at IS NULL OR v.detach_next_at <= ?)
          AND i.pending_power_off = 0 AND i.task_state = 'none'
        ORDER BY i.host, v.updated_at, v.id LIMIT ?`,
    ).all(now, limit);
  }

  /** Sets a volume's status as an administrator asked (ResetVolumeState); `available` also ends its attachment. */
  resetVolume(id: string, status: VolumeStatus, note: string): void {
    if (status === 'available') {
      this.db.prepare(`UPDATE volumes SET ${DETACHED}, updated_at = ? WHERE id = ?`).run(this.clock.now(), id);
      return;
    }
    this.db.prepare(
      `UPDATE volumes SET status = ?, error = ?, detach_pending = 0, detach_attempts = 0, detach_next_at = NULL, updated_at = ? WHERE id = ?`,
    ).run(status, status === 'error_detaching' ? note : null, this.clock.now(), id);
  }

  /** Drops a volume from a locally deleted instance's host-cleanup list (it was detached by hand meanwhile). */
  dropCleanupVolume(uuid: string, volumeId: string): void {
    const row = this.getInstance(uuid);
    if (!row?.cleanup_volumes) return;
    const list = (JSON.parse(row.cleanup_volumes) as Array<{ volume_id: string }>).filter((v) => v.volume_id !== volumeId);
    this.db.prepare('UPDATE instances SET cleanup_volumes = ?, updated_at = ? WHERE uuid = ?').run(JSON.stringify(list), this.clock.now(), uuid);
  }

  // ---------------------------------------------------------------- restart recovery

  /** Detaches that were running when the controller stopped become pending (their instance not deleted). */
  pendDetachingVolumes(): number {
    return this.db.prepare(
      `UPDATE volumes SET detach_pending = 1, detach_next_at = NULL, updated_at = ?
        WHERE status = 'detaching' AND detach_pending = 0
          AND instance_uuid IN (SELECT uuid FROM instances WHERE vm_state <> 'deleted')`,
    ).run(this.clock.now()).changes;
  }

  closeOpenActions(message: string): void {
    this.db.prepare("UPDATE instance_actions SET finished_at = ?, result = 'error', message = ? WHERE finished_at IS NULL")
      .run(this.clock.now(), message);
  }

  // ---------------------------------------------------------------- quota

  /** What the project's instances hold now: those with quota_held = 1. */
  quotaUsage(projectId: string): QuotaCounts {
    const r = this.db.prepare<[string], { instances: number; vcpus: number; memory_mib: number }>(
      `SELECT COUNT(*) AS instances, COALESCE(SUM(vcpus), 0) AS vcpus, COALESCE(SUM(memory_mib), 0) AS memory_mib
         FROM instances WHERE project_id = ? AND quota_held = 1`,
    ).get(projectId)!;
    return { instances: r.instances, vcpus: r.vcpus, memoryMib: r.memory_mib };
  }

  // ---------------------------------------------------------------- metrics

  /** Rows per vm_state (deleted ones included). */
  instanceCounts(): Array<{ vm_state: string; n: number }> {
    return this.db.prepare<[], { vm_state: string; n: number }>('SELECT vm_state, COUNT(*) AS n FROM instances GROUP BY vm_state').all();
  }

  volumeCounts(): Array<{ status: string; n: number }> {
    return this.db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM volumes GROUP BY status').all();
  }

  /** Work the periodic task owes: due reclaims (soft deleted at or before cutoff), retrying reclaims, pending power-offs and cleanups. */
  backlog(cutoff: number): { reclaimDue: number; reclaimRetrying: number; pendingPowerOffs: number; pendingCleanups: number } {
    return this.db.prepare<[number], { reclaimDue: number; reclaimRetrying: number; pendingPowerOffs: number; pendingCleanups: number }>(
      `SELECT
         COALESCE(SUM(vm_state = 'soft_deleted' AND deleted_at <= ?), 0) AS reclaimDue,
         COALESCE(SUM(vm_state = 'soft_deleted' AND reclaim_attempts > 0), 0) AS reclaimRetrying,
         COALESCE(SUM(vm_state = 'soft_deleted' AND pending_power_off = 1), 0) AS pendingPowerOffs,
         COALESCE(SUM(vm_state = 'deleted' AND needs_host_cleanup = 1), 0) AS pendingCleanups
       FROM instances WHERE vm_state IN ('soft_deleted', 'deleted') AND (vm_state = 'soft_deleted' OR needs_host_cleanup = 1)`,
    ).get(cutoff)!;
  }

  // ---------------------------------------------------------------- actions

  /** Opens an action record; the attempt is 1 + the earlier actions of that name on the instance. */
  startAction(uuid: string, action: string, ctx: RequestContext): { id: number; attempt: number } {
    const prior = this.db.prepare<[string, string], { n: number }>(
      'SELECT COUNT(*) AS n FROM instance_actions WHERE instance_uuid = ? AND action = ?',
    ).get(uuid, action)!.n;
    const r = this.db.prepare(
      'INSERT INTO instance_actions (instance_uuid, action, request_id, user_id, started_at) VALUES (?, ?, ?, ?, ?)',
    ).run(uuid, action, ctx.requestId, ctx.user, this.clock.now());
    return { id: Number(r.lastInsertRowid), attempt: prior + 1 };
  }

  /**
   * Opens an action record for work that calls an agent: its calls carry the
   * request id uuid:action:attempt, so the retries of one attempt dedupe at
   * the agent and the next attempt is a new request.
   */
  startAgentAction(uuid: string, action: string, ctx: RequestContext): { id: number; agentRequestId: string } {
    const { id, attempt } = this.startAction(uuid, action, ctx);
    const agentRequestId = `${uuid}:${action}:${attempt}`;
    this.setAgentRequestId(id, agentRequestId);
    return { id, agentRequestId };
  }

  setAgentRequestId(actionId: number, agentRequestId: string): void {
    this.db.prepare('UPDATE instance_actions SET agent_request_id = ? WHERE id = ?').run(agentRequestId, actionId);
  }

  finishAction(actionId: number, result: 'success' | 'error', message?: string): void {
    this.db.prepare('UPDATE instance_actions SET finished_at = ?, result = ?, message = ? WHERE id = ? AND finished_at IS NULL')
      .run(this.clock.now(), result, message ?? null, actionId);
  }

  actions(uuid: string): ActionRow[] {
    return this.db.prepare<[string], ActionRow>('SELECT * FROM instance_actions WHERE instance_uuid = ? ORDER BY id').all(uuid);
  }
}
