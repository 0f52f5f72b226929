// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

/**
 * Detach a volume from its guest and disconnect it on the host.
 */
export interface DisconnectVolumeRequest {
  /**
   * Empty = host-only disconnect (the volume is no longer attached to any domain).
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * Required.
   */
  'volume'?: (_virtagent_v1_VolumeAttachment | null);
  /**
   * Go through every step even when one fails; still fail at the end.
   */
  'force'?: (boolean);
  /**
   * Report failures as warnings and succeed.
   */
  'ignore_errors'?: (boolean);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id'?: (string);
}

/**
 * Detach a volume from its guest and disconnect it on the host.
 */
export interface DisconnectVolumeRequest__Output {
  /**
   * Empty = host-only disconnect (the volume is no longer attached to any domain).
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * Required.
   */
  'volume': (_virtagent_v1_VolumeAttachment__Output | null);
  /**
   * Go through every step even when one fails; still fail at the end.
   */
  'force': (boolean);
  /**
   * Report failures as warnings and succeed.
   */
  'ignore_errors': (boolean);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id': (string);
}
