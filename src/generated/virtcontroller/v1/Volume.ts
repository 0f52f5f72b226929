// Original file: proto/virtcontroller/v1/controller.proto

import type { VolumeStatus as _virtcontroller_v1_VolumeStatus, VolumeStatus__Output as _virtcontroller_v1_VolumeStatus__Output } from '../../virtcontroller/v1/VolumeStatus';
import type { ConnectionInfo as _virtcontroller_v1_ConnectionInfo, ConnectionInfo__Output as _virtcontroller_v1_ConnectionInfo__Output } from '../../virtcontroller/v1/ConnectionInfo';

export interface Volume {
  'volume_id'?: (string);
  /**
   * Empty when available.
   */
  'instance_uuid'?: (string);
  'status'?: (_virtcontroller_v1_VolumeStatus);
  'target_dev'?: (string);
  'connection_info'?: (_virtcontroller_v1_ConnectionInfo | null);
  'delete_on_termination'?: (boolean);
  /**
   * Why the last detach failed, or why it is pending.
   */
  'error'?: (string);
  /**
   * The detach waits for its host (down, no answer, or the instance's
   * power-off pending); the periodic task runs it when the host is back.
   */
  'detach_pending'?: (boolean);
  /**
   * Detach attempts the host did not answer (reset when one gets an answer).
   */
  'detach_attempts'?: (number);
  /**
   * Warnings of this call only (ForceDetachVolume: what the host-side
   * disconnect reported and ignored); not stored.
   */
  'warnings'?: (string)[];
}

export interface Volume__Output {
  'volume_id': (string);
  /**
   * Empty when available.
   */
  'instance_uuid': (string);
  'status': (_virtcontroller_v1_VolumeStatus__Output);
  'target_dev': (string);
  'connection_info': (_virtcontroller_v1_ConnectionInfo__Output | null);
  'delete_on_termination': (boolean);
  /**
   * Why the last detach failed, or why it is pending.
   */
  'error': (string);
  /**
   * The detach waits for its host (down, no answer, or the instance's
   * power-off pending); the periodic task runs it when the host is back.
   */
  'detach_pending': (boolean);
  /**
   * Detach attempts the host did not answer (reset when one gets an answer).
   */
  'detach_attempts': (number);
  /**
   * Warnings of this call only (ForceDetachVolume: what the host-side
   * disconnect reported and ignored); not stored.
   */
  'warnings': (string)[];
}
