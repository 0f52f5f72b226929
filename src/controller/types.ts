// The controller's record types and state vocabulary, as stored (SQLite or PostgreSQL).
// The proto enums map onto these one to one (server.ts).
import type { ConnectionInfo } from '../volume-types';

export const VM_STATES = ['building', 'active', 'stopped', 'soft_deleted', 'deleted', 'error'] as const;
export type VmState = (typeof VM_STATES)[number];

export const TASK_STATES = ['none', 'spawning', 'powering_off', 'powering_on', 'soft_deleting', 'restoring', 'deleting'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const VOLUME_STATUSES = ['available', 'attaching', 'in-use', 'detaching', 'error_detaching'] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

/** libvirt's state names as the agent reports them (POWER_STATE_ prefix dropped). */
export type PowerState = 'NOSTATE' | 'RUNNING' | 'BLOCKED' | 'PAUSED' | 'SHUTDOWN' | 'SHUTOFF' | 'CRASHED' | 'PMSUSPENDED';

export type { ConnectionInfo } from '../volume-types';

export interface InstanceRow {
  uuid: string;
  name: string;
  project_id: string;
  host: string;
  vcpus: number;
  memory_mib: number;
  vm_state: VmState;
  task_state: TaskState;
  power_state: PowerState;
  /** 1 while the instance counts against its project's quota. */
  quota_held: number;
  /** Epoch ms. */
  deleted_at: number | null;
  created_at: number;
  updated_at: number;
  error: string | null;
  needs_host_cleanup: number;
  /** JSON VolumeAttachment[] for the deferred host cleanup (connection info of the volumes detached locally). */
  cleanup_volumes: string | null;
  cleanup_attempts: number;
  cleanup_error: string | null;
  /** Epoch ms before which the host cleanup is not retried (backoff). */
  cleanup_next_at: number | null;
  /** 1 once the create succeeded: a delete of it stays soft (Nova's must_have_launched). */
  launched: number;
  /** 1 while soft deleted in the records only: the power-off runs when the host is back. */
  pending_power_off: number;
  power_off_attempts: number;
  power_off_error: string | null;
  power_off_next_at: number | null;
  /** Failed reclaims of this soft delete (reset by a restore). */
  reclaim_attempts: number;
  reclaim_error: string | null;
  reclaim_next_at: number | null;
  /** The replica working on the row (a task claim, or the periodic task's batch claim), until lease_expires_at (epoch ms). */
  lease_owner: string | null;
  lease_expires_at: number | null;
}

export interface VolumeRow {
  id: string;
  instance_uuid: string | null;
  status: VolumeStatus;
  target_dev: string | null;
  /** JSON ConnectionInfo. */
  connection_info: string | null;
  delete_on_termination: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  /** 1 while a detach waits for its host (down, or did not answer); the periodic task runs it. */
  detach_pending: number;
  detach_attempts: number;
  detach_next_at: number | null;
}

export interface ActionRow {
  id: number;
  instance_uuid: string;
  action: string;
  request_id: string;
  user_id: string;
  agent_request_id: string | null;
  started_at: number;
  finished_at: number | null;
  result: 'success' | 'error' | null;
  message: string | null;
}

/** Who asked and under which request id (gRPC metadata, or the periodic task). */
export interface RequestContext {
  requestId: string;
  user: string;
}

export interface InstanceView {
  instance: InstanceRow;
  volumes: VolumeRow[];
  /** Of the call that produced this view only (not stored). */
  warnings?: string[];
}

/** What a delete-family operation ends with: the row, and warnings for the caller. */
export interface Outcome {
  row: InstanceRow;
  warnings: string[];
}

/** Wall-clock time (epoch ms) as a dependency, so the reclaim can be tested with a fake clock (test/helpers/clocks.ts). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };


export interface QuotaLimits {
  /** -1 = unlimited. */
  instances: number;
  vcpus: number;
  memoryMib: number;
}

export interface QuotaCounts {
  instances: number;
  vcpus: number;
  memoryMib: number;
}

/** The stored JSON ConnectionInfo of a volume row. */
export function parseConnectionInfo(json: string | null): ConnectionInfo | undefined {
  if (json === null || json === '') return undefined;
  return JSON.parse(json) as ConnectionInfo;
}
