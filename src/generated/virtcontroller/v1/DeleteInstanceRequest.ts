// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The instance to delete.
 */
export interface DeleteInstanceRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
}

/**
 * The instance to delete.
 */
export interface DeleteInstanceRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
}
