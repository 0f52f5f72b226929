// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

export interface ConnectVolumeRequest {
  /**
   * Optional: orders the connect with this domain's other operations (it need not exist yet).
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  'volume'?: (_virtagent_v1_VolumeAttachment | null);
  'request_id'?: (string);
}

export interface ConnectVolumeRequest__Output {
  /**
   * Optional: orders the connect with this domain's other operations (it need not exist yet).
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  'volume': (_virtagent_v1_VolumeAttachment__Output | null);
  'request_id': (string);
}
