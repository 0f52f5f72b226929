// Original file: proto/virtcontroller/v1/controller.proto


/**
 * Cinder-shaped, passed to the agent as is: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo {
  /**
   * Cinder's driver_volume_type: iscsi, rbd, nfs or local (exact, lower case).
   */
  'driver_volume_type'?: (string);
  /**
   * Cinder's connection data (see virtagent.v1.ConnectionInfo.data); keys at most 128 characters,
   * values at most 4096.
   */
  'data'?: ({[key: string]: string});
}

/**
 * Cinder-shaped, passed to the agent as is: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo__Output {
  /**
   * Cinder's driver_volume_type: iscsi, rbd, nfs or local (exact, lower case).
   */
  'driver_volume_type': (string);
  /**
   * Cinder's connection data (see virtagent.v1.ConnectionInfo.data); keys at most 128 characters,
   * values at most 4096.
   */
  'data': ({[key: string]: string});
}
