// Original file: proto/virtcontroller/v1/controller.proto

import type { VolumeStatus as _virtcontroller_v1_VolumeStatus, VolumeStatus__Output as _virtcontroller_v1_VolumeStatus__Output } from '../../virtcontroller/v1/VolumeStatus';

export interface ResetVolumeStateRequest {
  'volume_id'?: (string);
  /**
   * VOLUME_STATUS_AVAILABLE, VOLUME_STATUS_IN_USE or VOLUME_STATUS_ERROR_DETACHING.
   */
  'status'?: (_virtcontroller_v1_VolumeStatus);
}

export interface ResetVolumeStateRequest__Output {
  'volume_id': (string);
  /**
   * VOLUME_STATUS_AVAILABLE, VOLUME_STATUS_IN_USE or VOLUME_STATUS_ERROR_DETACHING.
   */
  'status': (_virtcontroller_v1_VolumeStatus__Output);
}
