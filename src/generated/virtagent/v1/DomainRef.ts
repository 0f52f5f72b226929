// Original file: proto/virtagent/v1/agent.proto


/**
 * Addresses one domain: exactly one of name or uuid is set.
 */
export interface DomainRef {
  'name'?: (string);
  'uuid'?: (string);
}

/**
 * Addresses one domain: exactly one of name or uuid is set.
 */
export interface DomainRef__Output {
  'name': (string);
  'uuid': (string);
}
