// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The instance GetInstance reads.
 */
export interface GetInstanceRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
}

/**
 * The instance GetInstance reads.
 */
export interface GetInstanceRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
}
