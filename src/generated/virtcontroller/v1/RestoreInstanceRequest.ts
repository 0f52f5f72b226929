// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The soft-deleted instance to restore.
 */
export interface RestoreInstanceRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
}

/**
 * The soft-deleted instance to restore.
 */
export interface RestoreInstanceRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
}
