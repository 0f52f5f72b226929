// Original file: proto/virtcontroller/v1/controller.proto

import type { ConnectionInfo as _virtcontroller_v1_ConnectionInfo, ConnectionInfo__Output as _virtcontroller_v1_ConnectionInfo__Output } from '../../virtcontroller/v1/ConnectionInfo';

/**
 * Record a volume as attached to an instance.
 */
export interface AttachVolumeRequest {
  /**
   * The instance's UUID; it must be active or stopped, with no task.
   */
  'uuid'?: (string);
  /**
   * Cinder's volume id: 1-128 characters of [A-Za-z0-9._-]; new, or available.
   */
  'volume_id'?: (string);
  /**
   * The guest's device name, e.g. "vdb"; not used by another volume of the instance.
   */
  'target_dev'?: (string);
  /**
   * How the host reaches it: required.
   */
  'connection_info'?: (_virtcontroller_v1_ConnectionInfo | null);
  /**
   * Delete the volume's record with the instance rather than releasing it as available.
   */
  'delete_on_termination'?: (boolean);
}

/**
 * Record a volume as attached to an instance.
 */
export interface AttachVolumeRequest__Output {
  /**
   * The instance's UUID; it must be active or stopped, with no task.
   */
  'uuid': (string);
  /**
   * Cinder's volume id: 1-128 characters of [A-Za-z0-9._-]; new, or available.
   */
  'volume_id': (string);
  /**
   * The guest's device name, e.g. "vdb"; not used by another volume of the instance.
   */
  'target_dev': (string);
  /**
   * How the host reaches it: required.
   */
  'connection_info': (_virtcontroller_v1_ConnectionInfo__Output | null);
  /**
   * Delete the volume's record with the instance rather than releasing it as available.
   */
  'delete_on_termination': (boolean);
}
