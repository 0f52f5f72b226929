// Original file: proto/virtagent/v1/agent.proto

import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';

/**
 * The answer of DisconnectVolume.
 */
export interface DisconnectVolumeResponse {
  /**
   * The domain does not have the volume's disk (any more): true when it was detached, and also when
   * it was never attached, the domain does not exist, or the request named no domain.
   */
  'detached_from_domain'?: (boolean);
  /**
   * Nothing of the volume is left connected on the host: its host steps all succeeded, or there was
   * nothing to undo (a disk QEMU opens itself, a volume not mapped or mounted here).
   */
  'host_disconnected'?: (boolean);
  /**
   * Failures reported instead of failing (ignore_errors), and tolerated ones (a busy NFS umount).
   */
  'warnings'?: (string)[];
  /**
   * What was done, in order.
   */
  'steps'?: (_virtagent_v1_Step)[];
}

/**
 * The answer of DisconnectVolume.
 */
export interface DisconnectVolumeResponse__Output {
  /**
   * The domain does not have the volume's disk (any more): true when it was detached, and also when
   * it was never attached, the domain does not exist, or the request named no domain.
   */
  'detached_from_domain': (boolean);
  /**
   * Nothing of the volume is left connected on the host: its host steps all succeeded, or there was
   * nothing to undo (a disk QEMU opens itself, a volume not mapped or mounted here).
   */
  'host_disconnected': (boolean);
  /**
   * Failures reported instead of failing (ignore_errors), and tolerated ones (a busy NFS umount).
   */
  'warnings': (string)[];
  /**
   * What was done, in order.
   */
  'steps': (_virtagent_v1_Step__Output)[];
}
