// The volume types both services know: Cinder's driver_volume_type values the
// agent has a connector for, and connection_info as both carry it. The
// agent's connector registry (src/agent/volume/index.ts) must hold exactly one
// connector per name here (a `satisfies` check: a missing or extra one does not
// compile); the controller refuses any other type at its door
// (src/controller/validate.ts). Adding a type: its name here, its connector
// file and one registry line.

export const DRIVER_VOLUME_TYPES = ['iscsi', 'rbd', 'nfs', 'local'] as const;
export type DriverVolumeType = (typeof DRIVER_VOLUME_TYPES)[number];

export function isDriverVolumeType(value: string): value is DriverVolumeType {
  return (DRIVER_VOLUME_TYPES as readonly string[]).includes(value);
}

/**
 * Cinder's connection_info. In gRPC `data` is a map<string,string>, so every
 * value is a string: e.g. target_lun "1", and the multi-path iSCSI lists
 * target_portals / target_iqns / target_luns arrive either comma-separated
 * ("10.0.0.1:3260,10.0.0.2:3260") or as a JSON array string ('["a","b"]',
 * '[1,2]'). Each connector documents the keys it reads.
 */
export interface ConnectionInfo {
  driver_volume_type: string;
  data: Record<string, string>;
}
