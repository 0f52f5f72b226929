// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';

/**
 * Which events WatchEvents streams.
 */
export interface WatchEventsRequest {
  /**
   * Only events for this domain when set; every domain's otherwise.
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
}

/**
 * Which events WatchEvents streams.
 */
export interface WatchEventsRequest__Output {
  /**
   * Only events for this domain when set; every domain's otherwise.
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
}
