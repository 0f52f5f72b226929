// Original file: proto/virtagent/v1/agent.proto

import type { Domain as _virtagent_v1_Domain, Domain__Output as _virtagent_v1_Domain__Output } from '../../virtagent/v1/Domain';

export interface ListDomainsResponse {
  'domains'?: (_virtagent_v1_Domain)[];
}

export interface ListDomainsResponse__Output {
  'domains': (_virtagent_v1_Domain__Output)[];
}
