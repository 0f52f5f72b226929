// Original file: proto/virtagent/v1/agent.proto

import type { Domain as _virtagent_v1_Domain, Domain__Output as _virtagent_v1_Domain__Output } from '../../virtagent/v1/Domain';

/**
 * The answer of ListDomains.
 */
export interface ListDomainsResponse {
  /**
   * Every domain libvirt knows, running and defined, in libvirt's order.
   */
  'domains'?: (_virtagent_v1_Domain)[];
}

/**
 * The answer of ListDomains.
 */
export interface ListDomainsResponse__Output {
  /**
   * Every domain libvirt knows, running and defined, in libvirt's order.
   */
  'domains': (_virtagent_v1_Domain__Output)[];
}
