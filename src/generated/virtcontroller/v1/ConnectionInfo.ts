// Original file: proto/virtcontroller/v1/controller.proto


/**
 * Cinder-shaped, passed to the agent as is: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo {
  'driver_volume_type'?: (string);
  'data'?: ({[key: string]: string});
}

/**
 * Cinder-shaped, passed to the agent as is: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo__Output {
  'driver_volume_type': (string);
  'data': ({[key: string]: string});
}
