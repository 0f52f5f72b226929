// Original file: proto/virtagent/v1/agent.proto


/**
 * Cinder-shaped connection info: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo {
  'driver_volume_type'?: (string);
  'data'?: ({[key: string]: string});
}

/**
 * Cinder-shaped connection info: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo__Output {
  'driver_volume_type': (string);
  'data': ({[key: string]: string});
}
