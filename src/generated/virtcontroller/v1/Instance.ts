// Original file: proto/virtcontroller/v1/controller.proto

import type { VmState as _virtcontroller_v1_VmState, VmState__Output as _virtcontroller_v1_VmState__Output } from '../../virtcontroller/v1/VmState';
import type { TaskState as _virtcontroller_v1_TaskState, TaskState__Output as _virtcontroller_v1_TaskState__Output } from '../../virtcontroller/v1/TaskState';
import type { PowerState as _virtcontroller_v1_PowerState, PowerState__Output as _virtcontroller_v1_PowerState__Output } from '../../virtcontroller/v1/PowerState';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Volume as _virtcontroller_v1_Volume, Volume__Output as _virtcontroller_v1_Volume__Output } from '../../virtcontroller/v1/Volume';

/**
 * An instance record.
 */
export interface Instance {
  /**
   * The instance's (and its domain's) UUID, lower case.
   */
  'uuid'?: (string);
  /**
   * The name given at create.
   */
  'name'?: (string);
  /**
   * The project it belongs to (and counts against the quota of).
   */
  'project_id'?: (string);
  /**
   * The host it runs on (a host name the controller knows).
   */
  'host'?: (string);
  /**
   * Where it is in its life.
   */
  'vm_state'?: (_virtcontroller_v1_VmState);
  /**
   * What is being done to it now.
   */
  'task_state'?: (_virtcontroller_v1_TaskState);
  /**
   * The power state its agent last reported.
   */
  'power_state'?: (_virtcontroller_v1_PowerState);
  /**
   * Set while soft deleted (when the soft delete happened) and once deleted.
   */
  'deleted_at'?: (_google_protobuf_Timestamp | null);
  /**
   * Its volume attachments (every status but available).
   */
  'volumes'?: (_virtcontroller_v1_Volume)[];
  /**
   * Virtual CPUs, as created.
   */
  'vcpus'?: (number);
  /**
   * Memory in MiB, as created.
   */
  'memory_mib'?: (number);
  /**
   * When the record was created.
   */
  'created_at'?: (_google_protobuf_Timestamp | null);
  /**
   * When the record last changed.
   */
  'updated_at'?: (_google_protobuf_Timestamp | null);
  /**
   * Why the instance is in VM_STATE_ERROR.
   */
  'error'?: (string);
  /**
   * Deleted in the records only (its host was down, or force overrode an
   * agent error): the domain and its disks are destroyed when the host is
   * back; its volumes stay detaching until then.
   */
  'needs_host_cleanup'?: (boolean);
  /**
   * Soft deleted in the records only (host down or not answering): the
   * power-off runs when the host is back, before anything else for it.
   */
  'pending_power_off'?: (boolean);
  /**
   * Failed attempts of that pending power-off.
   */
  'power_off_attempts'?: (number);
  /**
   * The last pending power-off's error; empty when none failed.
   */
  'power_off_error'?: (string);
  /**
   * Failed reclaims of this soft delete (the instance stays soft deleted and
   * restorable); reset by a restore.
   */
  'reclaim_attempts'?: (number);
  /**
   * The last failed reclaim's error; empty when none failed.
   */
  'reclaim_error'?: (string);
  /**
   * Not reclaimed again before this (capped exponential backoff after a
   * failure: one poll interval, doubling, at most an hour); unset otherwise.
   */
  'next_reclaim_at'?: (_google_protobuf_Timestamp | null);
  /**
   * Failed attempts of the host cleanup.
   */
  'cleanup_attempts'?: (number);
  /**
   * The last failed host cleanup's error; empty when none failed.
   */
  'cleanup_error'?: (string);
  /**
   * Warnings of this call only, not stored: e.g. a delete or soft delete
   * done in the records only, the agent errors ForceDeleteInstance with
   * force overrode, the agent's Destroy warnings.
   */
  'warnings'?: (string)[];
}

/**
 * An instance record.
 */
export interface Instance__Output {
  /**
   * The instance's (and its domain's) UUID, lower case.
   */
  'uuid': (string);
  /**
   * The name given at create.
   */
  'name': (string);
  /**
   * The project it belongs to (and counts against the quota of).
   */
  'project_id': (string);
  /**
   * The host it runs on (a host name the controller knows).
   */
  'host': (string);
  /**
   * Where it is in its life.
   */
  'vm_state': (_virtcontroller_v1_VmState__Output);
  /**
   * What is being done to it now.
   */
  'task_state': (_virtcontroller_v1_TaskState__Output);
  /**
   * The power state its agent last reported.
   */
  'power_state': (_virtcontroller_v1_PowerState__Output);
  /**
   * Set while soft deleted (when the soft delete happened) and once deleted.
   */
  'deleted_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * Its volume attachments (every status but available).
   */
  'volumes': (_virtcontroller_v1_Volume__Output)[];
  /**
   * Virtual CPUs, as created.
   */
  'vcpus': (number);
  /**
   * Memory in MiB, as created.
   */
  'memory_mib': (number);
  /**
   * When the record was created.
   */
  'created_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * When the record last changed.
   */
  'updated_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * Why the instance is in VM_STATE_ERROR.
   */
  'error': (string);
  /**
   * Deleted in the records only (its host was down, or force overrode an
   * agent error): the domain and its disks are destroyed when the host is
   * back; its volumes stay detaching until then.
   */
  'needs_host_cleanup': (boolean);
  /**
   * Soft deleted in the records only (host down or not answering): the
   * power-off runs when the host is back, before anything else for it.
   */
  'pending_power_off': (boolean);
  /**
   * Failed attempts of that pending power-off.
   */
  'power_off_attempts': (number);
  /**
   * The last pending power-off's error; empty when none failed.
   */
  'power_off_error': (string);
  /**
   * Failed reclaims of this soft delete (the instance stays soft deleted and
   * restorable); reset by a restore.
   */
  'reclaim_attempts': (number);
  /**
   * The last failed reclaim's error; empty when none failed.
   */
  'reclaim_error': (string);
  /**
   * Not reclaimed again before this (capped exponential backoff after a
   * failure: one poll interval, doubling, at most an hour); unset otherwise.
   */
  'next_reclaim_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * Failed attempts of the host cleanup.
   */
  'cleanup_attempts': (number);
  /**
   * The last failed host cleanup's error; empty when none failed.
   */
  'cleanup_error': (string);
  /**
   * Warnings of this call only, not stored: e.g. a delete or soft delete
   * done in the records only, the agent errors ForceDeleteInstance with
   * force overrode, the agent's Destroy warnings.
   */
  'warnings': (string)[];
}
