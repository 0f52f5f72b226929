// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';

export interface GetDomainRequest {
  'domain'?: (_virtagent_v1_DomainRef | null);
}

export interface GetDomainRequest__Output {
  'domain': (_virtagent_v1_DomainRef__Output | null);
}
