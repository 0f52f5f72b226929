// Original file: proto/virtcontroller/v1/controller.proto


/**
 * Disable or enable a host.
 */
export interface SetHostDisabledRequest {
  /**
   * A known host name.
   */
  'host'?: (string);
  /**
   * True: no new creates on it; false: enabled again.
   */
  'disabled'?: (boolean);
  /**
   * Why (at most 255 characters); recorded and shown in ListHosts.
   */
  'reason'?: (string);
}

/**
 * Disable or enable a host.
 */
export interface SetHostDisabledRequest__Output {
  /**
   * A known host name.
   */
  'host': (string);
  /**
   * True: no new creates on it; false: enabled again.
   */
  'disabled': (boolean);
  /**
   * Why (at most 255 characters); recorded and shown in ListHosts.
   */
  'reason': (string);
}
