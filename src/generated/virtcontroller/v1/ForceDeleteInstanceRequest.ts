// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The instance to delete now.
 */
export interface ForceDeleteInstanceRequest {
  /**
   * The instance's UUID.
   */
  'uuid'?: (string);
  /**
   * true: the record ends VM_STATE_DELETED whatever the agent says; every
   * agent error comes back in Instance.warnings and the host cleanup is
   * queued. false: an agent error leaves the instance retryable (as
   * DeleteInstance). Either way a running task is waited for
   * (FAILED_PRECONDITION) and a down host means a delete in the records.
   */
  'force'?: (boolean);
}

/**
 * The instance to delete now.
 */
export interface ForceDeleteInstanceRequest__Output {
  /**
   * The instance's UUID.
   */
  'uuid': (string);
  /**
   * true: the record ends VM_STATE_DELETED whatever the agent says; every
   * agent error comes back in Instance.warnings and the host cleanup is
   * queued. false: an agent error leaves the instance retryable (as
   * DeleteInstance). Either way a running task is waited for
   * (FAILED_PRECONDITION) and a down host means a delete in the records.
   */
  'force': (boolean);
}
