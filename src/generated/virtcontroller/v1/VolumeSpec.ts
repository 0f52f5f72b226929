// Original file: proto/virtcontroller/v1/controller.proto

import type { ConnectionInfo as _virtcontroller_v1_ConnectionInfo, ConnectionInfo__Output as _virtcontroller_v1_ConnectionInfo__Output } from '../../virtcontroller/v1/ConnectionInfo';

/**
 * A volume already connected for a new instance.
 */
export interface VolumeSpec {
  /**
   * Cinder's volume id: 1-128 characters of [A-Za-z0-9._-]; new, or available.
   */
  'volume_id'?: (string);
  /**
   * The guest's device name, e.g. "vdb"; unique within the request.
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
 * A volume already connected for a new instance.
 */
export interface VolumeSpec__Output {
  /**
   * Cinder's volume id: 1-128 characters of [A-Za-z0-9._-]; new, or available.
   */
  'volume_id': (string);
  /**
   * The guest's device name, e.g. "vdb"; unique within the request.
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
