// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The instance whose action log ListInstanceActions answers.
 */
export interface ListInstanceActionsRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
}

/**
 * The instance whose action log ListInstanceActions answers.
 */
export interface ListInstanceActionsRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
}
