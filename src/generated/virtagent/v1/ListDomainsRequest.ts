// Original file: proto/virtagent/v1/agent.proto


/**
 * ListDomains takes no arguments.
 */
export interface ListDomainsRequest {
}

/**
 * ListDomains takes no arguments.
 */
export interface ListDomainsRequest__Output {
}
