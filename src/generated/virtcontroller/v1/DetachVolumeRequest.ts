// Original file: proto/virtcontroller/v1/controller.proto


/**
 * Detach a volume from an instance.
 */
export interface DetachVolumeRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
  /**
   * The volume's id; it must be attached to that instance.
   */
  'volume_id'?: (string);
}

/**
 * Detach a volume from an instance.
 */
export interface DetachVolumeRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
  /**
   * The volume's id; it must be attached to that instance.
   */
  'volume_id': (string);
}
