// Original file: proto/virtcontroller/v1/controller.proto

import type { VolumeStatus as _virtcontroller_v1_VolumeStatus, VolumeStatus__Output as _virtcontroller_v1_VolumeStatus__Output } from '../../virtcontroller/v1/VolumeStatus';
import type { ConnectionInfo as _virtcontroller_v1_ConnectionInfo, ConnectionInfo__Output as _virtcontroller_v1_ConnectionInfo__Output } from '../../virtcontroller/v1/ConnectionInfo';

/**
 * A volume's attachment record.
 */
export interface Volume {
  /**
   * Cinder's volume id: 1-128 characters of [A-Za-z0-9._-].
   */
  'volume_id'?: (string);
  /**
   * The instance it is attached to; empty when available.
   */
  'instance_uuid'?: (string);
  /**
   * Where its attachment is.
   */
  'status'?: (_virtcontroller_v1_VolumeStatus);
  /**
   * The guest's device name, e.g. "vdb"; empty when available.
   */
  'target_dev'?: (string);
  /**
   * How the host reaches it; unset when available.
   */
  'connection_info'?: (_virtcontroller_v1_ConnectionInfo | null);
  /**
   * Deleted with the instance (its record removed) rather than released as available.
   */
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

/**
 * A volume's attachment record.
 */
export interface Volume__Output {
  /**
   * Cinder's volume id: 1-128 characters of [A-Za-z0-9._-].
   */
  'volume_id': (string);
  /**
   * The instance it is attached to; empty when available.
   */
  'instance_uuid': (string);
  /**
   * Where its attachment is.
   */
  'status': (_virtcontroller_v1_VolumeStatus__Output);
  /**
   * The guest's device name, e.g. "vdb"; empty when available.
   */
  'target_dev': (string);
  /**
   * How the host reaches it; unset when available.
   */
  'connection_info': (_virtcontroller_v1_ConnectionInfo__Output | null);
  /**
   * Deleted with the instance (its record removed) rather than released as available.
   */
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
