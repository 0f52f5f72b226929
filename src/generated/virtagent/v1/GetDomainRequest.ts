// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';

/**
 * The domain GetDomain reads.
 */
export interface GetDomainRequest {
  /**
   * Required.
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
}

/**
 * The domain GetDomain reads.
 */
export interface GetDomainRequest__Output {
  /**
   * Required.
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
}
