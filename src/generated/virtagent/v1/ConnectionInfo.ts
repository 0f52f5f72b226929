// Original file: proto/virtagent/v1/agent.proto


/**
 * Cinder-shaped connection info: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo {
  /**
   * Cinder's driver_volume_type: iscsi, rbd, nfs or local (exact, lower case).
   */
  'driver_volume_type'?: (string);
  /**
   * Cinder's connection data, every value a string (lists as JSON arrays or comma-separated):
   * iscsi target_portal(s)/target_iqn(s)/target_lun(s) and CHAP auth_*; rbd name (pool/image) or
   * pool + name, hosts/ports, auth_username; nfs export ("host:/path"), name, options; local device_path.
   */
  'data'?: ({[key: string]: string});
}

/**
 * Cinder-shaped connection info: driver_volume_type is iscsi, rbd, nfs or local.
 */
export interface ConnectionInfo__Output {
  /**
   * Cinder's driver_volume_type: iscsi, rbd, nfs or local (exact, lower case).
   */
  'driver_volume_type': (string);
  /**
   * Cinder's connection data, every value a string (lists as JSON arrays or comma-separated):
   * iscsi target_portal(s)/target_iqn(s)/target_lun(s) and CHAP auth_*; rbd name (pool/image) or
   * pool + name, hosts/ports, auth_username; nfs export ("host:/path"), name, options; local device_path.
   */
  'data': ({[key: string]: string});
}
