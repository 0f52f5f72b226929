// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

/**
 * Make a volume available on this host.
 */
export interface ConnectVolumeRequest {
  /**
   * Optional: orders the connect with this domain's other operations (it need not exist yet).
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * Required.
   */
  'volume'?: (_virtagent_v1_VolumeAttachment | null);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id'?: (string);
}

/**
 * Make a volume available on this host.
 */
export interface ConnectVolumeRequest__Output {
  /**
   * Optional: orders the connect with this domain's other operations (it need not exist yet).
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * Required.
   */
  'volume': (_virtagent_v1_VolumeAttachment__Output | null);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id': (string);
}
