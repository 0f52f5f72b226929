// The store's vocabulary: the changes a transition may make, what a CAS
// expects, new rows, filters, and the SQL fragments the store composes
// (set clauses checked against the columns a transition may set, the due
// conditions of the periodic work). Shared by both engines.
import type { SqlValue } from './sql';
import type {
  InstanceRow, PowerState, TaskState, VmState, VolumeRow, VolumeStatus,
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
  lease_owner?: string | null;
  lease_expires_at?: number | null;
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

export type NewInstance = Pick<InstanceRow, 'uuid' | 'name' | 'project_id' | 'host' | 'vcpus' | 'memory_mib' | 'vm_state' | 'task_state' | 'quota_held'>
  & Partial<Pick<InstanceRow, 'lease_owner' | 'lease_expires_at'>>;

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

export const CHANGE_COLUMNS: ReadonlySet<string> = new Set([
  'vm_state', 'task_state', 'power_state', 'quota_held', 'deleted_at', 'error',
  'needs_host_cleanup', 'cleanup_volumes', 'cleanup_attempts', 'cleanup_error', 'cleanup_next_at',
  'launched', 'pending_power_off', 'power_off_attempts', 'power_off_error', 'power_off_next_at',
  'reclaim_attempts', 'reclaim_error', 'reclaim_next_at', 'lease_owner', 'lease_expires_at',
]);
export const VOLUME_CHANGE_COLUMNS: ReadonlySet<string> = new Set(['status', 'error', 'detach_pending', 'detach_attempts', 'detach_next_at']);

/** "a = ?, b = ?" for the keys of `change` that are set, checked against `allowed`, with their values in order. */
export function setClause(change: object, allowed: ReadonlySet<string>): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const sets: string[] = [];
  for (const [k, v] of Object.entries(change) as Array<[string, SqlValue | undefined]>) {
    if (v === undefined) continue;
    if (!allowed.has(k)) throw new Error(`not a transition column: ${k}`);
    sets.push(`${k} = ?`);
    params.push(v);
  }
  return { sql: sets.join(', '), params };
}

/** Columns cleared whenever a volume leaves an attachment. */
export const DETACHED = `status = 'available', instance_uuid = NULL, target_dev = NULL, connection_info = NULL, error = NULL,
                  detach_pending = 0, detach_attempts = 0, detach_next_at = NULL`;

export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** The periodic work a batch claim takes: its due condition and order. */
export type DueWork = 'reclaim' | 'power_off' | 'cleanup';

export const DUE: Record<DueWork, { where: string; order: string }> = {
  // ? = cutoff, now
  reclaim: {
    where: `vm_state = 'soft_deleted' AND task_state = 'none' AND deleted_at <= ? AND (reclaim_next_at IS NULL OR reclaim_next_at <= ?)`,
    order: 'deleted_at, uuid',
  },
  // ? = now
  power_off: {
    where: `pending_power_off = 1 AND vm_state = 'soft_deleted' AND task_state = 'none' AND (power_off_next_at IS NULL OR power_off_next_at <= ?)`,
    order: 'host, deleted_at, uuid',
  },
  // ? = now
  cleanup: {
    where: `needs_host_cleanup = 1 AND vm_state = 'deleted' AND task_state = 'none' AND (cleanup_next_at IS NULL OR cleanup_next_at <= ?)`,
    order: 'host, deleted_at, uuid',
  },
};

/** What a batch claim needs: who claims, until when, at most how many. */
export interface LeaseRequest {
  owner: string;
  now: number;
  expiresAt: number;
  limit: number;
}

