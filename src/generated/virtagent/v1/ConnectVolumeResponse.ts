// Original file: proto/virtagent/v1/agent.proto

import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';

export interface ConnectVolumeResponse {
  /**
   * Block device or file to give the guest, e.g. /dev/disk/by-path/ip-...-lun-1, /dev/mapper/<map>,
   * /dev/rbd0, <nfs_mount_base>/<md5(export)>/<name>.
   */
  'device_path'?: (string);
  'steps'?: (_virtagent_v1_Step)[];
}

export interface ConnectVolumeResponse__Output {
  /**
   * Block device or file to give the guest, e.g. /dev/disk/by-path/ip-...-lun-1, /dev/mapper/<map>,
   * /dev/rbd0, <nfs_mount_base>/<md5(export)>/<name>.
   */
  'device_path': (string);
  'steps': (_virtagent_v1_Step__Output)[];
}
