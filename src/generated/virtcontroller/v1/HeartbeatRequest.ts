// Original file: proto/virtcontroller/v1/controller.proto


/**
 * A host's sign of life.
 */
export interface HeartbeatRequest {
  /**
   * The registered host name.
   */
  'name'?: (string);
}

/**
 * A host's sign of life.
 */
export interface HeartbeatRequest__Output {
  /**
   * The registered host name.
   */
  'name': (string);
}
