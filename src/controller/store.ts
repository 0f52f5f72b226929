// The repository: every read and write of instances, volumes and the action
// log. State changes are compare-and-swap updates (UPDATE ... WHERE the
// current vm_state/task_state, or volume status, is what the caller saw):
// callers run them inside tx() together with the reads and quota checks they
// depend on, and treat "0 rows changed" as losing the race.
import { NotFound } from '../errors';
import type { Db } from './db';
import type {
  ActionRow, Clock, InstanceRow, PowerState, RequestContext, TaskState, VmState, VolumeRow, VolumeStatus,
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
}

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
  'needs_host_cleanup', 'cleanup_volumes', 'cleanup_attempts', 'cleanup_error',
]);

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
    if (filter.project_id) (where.push('project_id = ?'), args.push(filter.project_id));
    if (filter.host) (where.push('host = ?'), args.push(filter.host));
    if (filter.vm_state) (where.push('vm_state = ?'), args.push(filter.vm_state));
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
    const keys = Object.keys(change).filter((k) => change[k as keyof InstanceChange] !== undefined);
    for (const k of keys) if (!CHANGE_COLUMNS.has(k)) throw new Error(`not a transition column: ${k}`);
    const sets = [...keys.map((k) => `${k} = @${k}`), 'updated_at = @__now'];
    const sql = `UPDATE instances SET ${sets.join(', ')} WHERE uuid = @__uuid`
      + ` AND vm_state IN (${expect.vm.map((_, i) => `@__vm${i}`).join(', ')})`
      + ` AND task_state IN (${expect.task.map((_, i) => `@__task${i}`).join(', ')})`
      + (expect.deletedAtOrBefore === undefined ? '' : ' AND deleted_at <= @__cutoff');
    const params: Record<string, unknown> = { __uuid: uuid, __now: this.clock.now() };
    if (expect.deletedAtOrBefore !== undefined) params['__cutoff'] = expect.deletedAtOrBefore;
    for (const k of keys) params[k] = change[k as keyof InstanceChange];
    expect.vm.forEach((v, i) => (params[`__vm${i}`] = v));
    expect.task.forEach((t, i) => (params[`__task${i}`] = t));
    return this.db.prepare(sql).run(params).changes === 1;
  }

  /** Soft-deleted rows with no task whose deleted_at is at or before `cutoff`, oldest first. */
  reclaimable(cutoff: number, limit: number): InstanceRow[] {
    return this.db.prepare<[number, number], InstanceRow>(
      `SELECT * FROM instances WHERE vm_state = 'soft_deleted' AND task_state = 'none' AND deleted_at <= ?
        ORDER BY deleted_at, uuid LIMIT ?`,
    ).all(cutoff, limit);
  }

  /** Deleted rows whose domain is still to be destroyed on their host. */
  pendingCleanups(): InstanceRow[] {
    return this.db.prepare<[], InstanceRow>(
      'SELECT * FROM instances WHERE needs_host_cleanup = 1 ORDER BY host, deleted_at, uuid',
    ).all();
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

  /** CAS on a volume attached to `uuid`: its status must be one of `from`. */
  casVolume(id: string, uuid: string, from: readonly VolumeStatus[], to: { status: VolumeStatus; error?: string | null }): boolean {
    const sql = `UPDATE volumes SET status = ?, error = ?, updated_at = ?
                  WHERE id = ? AND instance_uuid = ? AND status IN (${placeholders(from.length)})`;
    return this.db.prepare(sql).run(to.status, to.error ?? null, this.clock.now(), id, uuid, ...from).changes === 1;
  }

  /** Detach (CAS on the attachment): back to available, attachment fields cleared. */
  detachVolume(id: string, uuid: string, from: readonly VolumeStatus[]): boolean {
    const sql = `UPDATE volumes SET status = 'available', instance_uuid = NULL, target_dev = NULL, connection_info = NULL,
                        error = NULL, updated_at = ? WHERE id = ? AND instance_uuid = ? AND status IN (${placeholders(from.length)})`;
    return this.db.prepare(sql).run(this.clock.now(), id, uuid, ...from).changes === 1;
  }

  /** Every volume of a deleted instance: deleted when delete_on_termination, else available. */
  releaseVolumes(uuid: string): void {
    this.db.prepare('DELETE FROM volumes WHERE instance_uuid = ? AND delete_on_termination = 1').run(uuid);
    this.db.prepare(
      `UPDATE volumes SET status = 'available', instance_uuid = NULL, target_dev = NULL, connection_info = NULL,
              error = NULL, updated_at = ? WHERE instance_uuid = ?`,
    ).run(this.clock.now(), uuid);
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
