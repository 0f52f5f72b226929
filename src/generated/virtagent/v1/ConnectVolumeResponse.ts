// Original file: proto/virtagent/v1/agent.proto

import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';

/**
 * The answer of ConnectVolume.
 */
export interface ConnectVolumeResponse {
  /**
   * Block device or file to give the guest, e.g. /dev/disk/by-path/ip-...-lun-1, /dev/mapper/<map>,
   * /dev/rbd0, <nfs_mount_base>/<md5(export)>/<name>.
   */
  'device_path'?: (string);
  /**
   * What was done, in order.
   */
  'steps'?: (_virtagent_v1_Step)[];
}

/**
 * The answer of ConnectVolume.
 */
export interface ConnectVolumeResponse__Output {
  /**
   * Block device or file to give the guest, e.g. /dev/disk/by-path/ip-...-lun-1, /dev/mapper/<map>,
   * /dev/rbd0, <nfs_mount_base>/<md5(export)>/<name>.
   */
  'device_path': (string);
  /**
   * What was done, in order.
   */
  'steps': (_virtagent_v1_Step__Output)[];
}
