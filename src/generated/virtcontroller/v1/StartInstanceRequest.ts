// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The instance to start.
 */
export interface StartInstanceRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
}

/**
 * The instance to start.
 */
export interface StartInstanceRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
}
