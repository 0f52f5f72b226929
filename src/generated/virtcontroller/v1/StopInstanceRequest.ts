// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The instance to stop.
 */
export interface StopInstanceRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
}

/**
 * The instance to stop.
 */
export interface StopInstanceRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
}
