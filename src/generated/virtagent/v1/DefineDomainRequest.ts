// Original file: proto/virtagent/v1/agent.proto


export interface DefineDomainRequest {
  'xml'?: (string);
  'start'?: (boolean);
  /**
   * Create a transient domain (started at once, no persistent definition).
   * The agent keeps a copy of its XML under --state-dir for HardReboot.
   */
  'transient'?: (boolean);
}

export interface DefineDomainRequest__Output {
  'xml': (string);
  'start': (boolean);
  /**
   * Create a transient domain (started at once, no persistent definition).
   * The agent keeps a copy of its XML under --state-dir for HardReboot.
   */
  'transient': (boolean);
}
