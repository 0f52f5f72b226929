// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The volume to force-detach.
 */
export interface ForceDetachVolumeRequest {
  /**
   * The volume's id; it must be attached (not attaching).
   */
  'volume_id'?: (string);
}

/**
 * The volume to force-detach.
 */
export interface ForceDetachVolumeRequest__Output {
  /**
   * The volume's id; it must be attached (not attaching).
   */
  'volume_id': (string);
}
