// Original file: proto/virtcontroller/v1/controller.proto

import type { VolumeStatus as _virtcontroller_v1_VolumeStatus, VolumeStatus__Output as _virtcontroller_v1_VolumeStatus__Output } from '../../virtcontroller/v1/VolumeStatus';

/**
 * Set a volume's status in the records.
 */
export interface ResetVolumeStateRequest {
  /**
   * The volume's id.
   */
  'volume_id'?: (string);
  /**
   * VOLUME_STATUS_AVAILABLE, VOLUME_STATUS_IN_USE or VOLUME_STATUS_ERROR_DETACHING.
   */
  'status'?: (_virtcontroller_v1_VolumeStatus);
}

/**
 * Set a volume's status in the records.
 */
export interface ResetVolumeStateRequest__Output {
  /**
   * The volume's id.
   */
  'volume_id': (string);
  /**
   * VOLUME_STATUS_AVAILABLE, VOLUME_STATUS_IN_USE or VOLUME_STATUS_ERROR_DETACHING.
   */
  'status': (_virtcontroller_v1_VolumeStatus__Output);
}
