// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

export interface HardRebootRequest {
  'domain'?: (_virtagent_v1_DomainRef | null);
  'wait_timeout_seconds'?: (number);
  /**
   * Unset or true: remove a managed-save image and boot fresh (Nova's hard reboot); false: resume it.
   */
  'discard_managed_save'?: (boolean);
  'request_id'?: (string);
  /**
   * Connected on the host before the start, in order.
   */
  'volumes'?: (_virtagent_v1_VolumeAttachment)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
  '_discard_managed_save'?: "discard_managed_save";
}

export interface HardRebootRequest__Output {
  'domain': (_virtagent_v1_DomainRef__Output | null);
  'wait_timeout_seconds'?: (number);
  /**
   * Unset or true: remove a managed-save image and boot fresh (Nova's hard reboot); false: resume it.
   */
  'discard_managed_save'?: (boolean);
  'request_id': (string);
  /**
   * Connected on the host before the start, in order.
   */
  'volumes': (_virtagent_v1_VolumeAttachment__Output)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
  '_discard_managed_save'?: "discard_managed_save";
}
