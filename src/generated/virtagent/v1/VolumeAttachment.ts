// Original file: proto/virtagent/v1/agent.proto

import type { ConnectionInfo as _virtagent_v1_ConnectionInfo, ConnectionInfo__Output as _virtagent_v1_ConnectionInfo__Output } from '../../virtagent/v1/ConnectionInfo';

/**
 * A volume as a request names it.
 */
export interface VolumeAttachment {
  /**
   * Cinder's volume id (for messages, and as the queue key of a host-only disconnect).
   */
  'volume_id'?: (string);
  /**
   * The guest's device name of the volume's disk, e.g. "vdb"; empty = found by its connection info.
   */
  'target_dev'?: (string);
  /**
   * Where the volume is: required.
   */
  'connection_info'?: (_virtagent_v1_ConnectionInfo | null);
}

/**
 * A volume as a request names it.
 */
export interface VolumeAttachment__Output {
  /**
   * Cinder's volume id (for messages, and as the queue key of a host-only disconnect).
   */
  'volume_id': (string);
  /**
   * The guest's device name of the volume's disk, e.g. "vdb"; empty = found by its connection info.
   */
  'target_dev': (string);
  /**
   * Where the volume is: required.
   */
  'connection_info': (_virtagent_v1_ConnectionInfo__Output | null);
}
