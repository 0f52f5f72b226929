// Original file: proto/virtagent/v1/agent.proto


/**
 * A domain to define (or create) from libvirt XML.
 */
export interface DefineDomainRequest {
  /**
   * libvirt domain XML, at most 1 MiB; no DTD or entity declarations. Its <name> (and <uuid>)
   * queue the definition with every other operation on that domain.
   */
  'xml'?: (string);
  /**
   * Start the domain once defined (a running one is left alone).
   */
  'start'?: (boolean);
  /**
   * Create a transient domain (started at once, no persistent definition).
   * The agent keeps a copy of its XML under --state-dir for HardReboot.
   */
  'transient'?: (boolean);
}

/**
 * A domain to define (or create) from libvirt XML.
 */
export interface DefineDomainRequest__Output {
  /**
   * libvirt domain XML, at most 1 MiB; no DTD or entity declarations. Its <name> (and <uuid>)
   * queue the definition with every other operation on that domain.
   */
  'xml': (string);
  /**
   * Start the domain once defined (a running one is left alone).
   */
  'start': (boolean);
  /**
   * Create a transient domain (started at once, no persistent definition).
   * The agent keeps a copy of its XML under --state-dir for HardReboot.
   */
  'transient': (boolean);
}
