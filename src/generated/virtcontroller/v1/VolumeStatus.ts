// Original file: proto/virtcontroller/v1/controller.proto

/**
 * A volume attachment's status (Cinder's).
 */
export const VolumeStatus = {
  /**
   * Not a status: in ResetVolumeStateRequest, refused.
   */
  VOLUME_STATUS_UNSPECIFIED: 'VOLUME_STATUS_UNSPECIFIED',
  /**
   * Not attached to any instance.
   */
  VOLUME_STATUS_AVAILABLE: 'VOLUME_STATUS_AVAILABLE',
  /**
   * Being attached by CreateInstance.
   */
  VOLUME_STATUS_ATTACHING: 'VOLUME_STATUS_ATTACHING',
  /**
   * Attached.
   */
  VOLUME_STATUS_IN_USE: 'VOLUME_STATUS_IN_USE',
  /**
   * A detach is running or pending (Volume.detach_pending).
   */
  VOLUME_STATUS_DETACHING: 'VOLUME_STATUS_DETACHING',
  /**
   * A detach failed after the guest let go (or it is unknown whether it did); it can be detached again.
   */
  VOLUME_STATUS_ERROR_DETACHING: 'VOLUME_STATUS_ERROR_DETACHING',
} as const;

/**
 * A volume attachment's status (Cinder's).
 */
export type VolumeStatus =
  /**
   * Not a status: in ResetVolumeStateRequest, refused.
   */
  | 'VOLUME_STATUS_UNSPECIFIED'
  | 0
  /**
   * Not attached to any instance.
   */
  | 'VOLUME_STATUS_AVAILABLE'
  | 1
  /**
   * Being attached by CreateInstance.
   */
  | 'VOLUME_STATUS_ATTACHING'
  | 2
  /**
   * Attached.
   */
  | 'VOLUME_STATUS_IN_USE'
  | 3
  /**
   * A detach is running or pending (Volume.detach_pending).
   */
  | 'VOLUME_STATUS_DETACHING'
  | 4
  /**
   * A detach failed after the guest let go (or it is unknown whether it did); it can be detached again.
   */
  | 'VOLUME_STATUS_ERROR_DETACHING'
  | 5

/**
 * A volume attachment's status (Cinder's).
 */
export type VolumeStatus__Output = typeof VolumeStatus[keyof typeof VolumeStatus]
