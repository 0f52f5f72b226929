// Original file: proto/virtagent/v1/agent.proto


/**
 * Addresses one domain: exactly one of name or uuid is set.
 */
export interface DomainRef {
  /**
   * libvirt's domain name: 1-255 characters, no "/" and no control characters.
   */
  'name'?: (string);
  /**
   * The domain's UUID, 8-4-4-4-12 hex digits in either case.
   */
  'uuid'?: (string);
}

/**
 * Addresses one domain: exactly one of name or uuid is set.
 */
export interface DomainRef__Output {
  /**
   * libvirt's domain name: 1-255 characters, no "/" and no control characters.
   */
  'name': (string);
  /**
   * The domain's UUID, 8-4-4-4-12 hex digits in either case.
   */
  'uuid': (string);
}
