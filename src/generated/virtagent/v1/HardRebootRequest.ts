// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

/**
 * Destroy (if running) and start again.
 */
export interface HardRebootRequest {
  /**
   * Required.
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * How long to wait for RUNNING, in seconds, 1-3600. Unset = the agent's default (60 s).
   */
  'wait_timeout_seconds'?: (number);
  /**
   * Unset or true: remove a managed-save image and boot fresh (Nova's hard reboot); false: resume it.
   */
  'discard_managed_save'?: (boolean);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id'?: (string);
  /**
   * Connected on the host before the start, in order; at most 256.
   */
  'volumes'?: (_virtagent_v1_VolumeAttachment)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
  '_discard_managed_save'?: "discard_managed_save";
}

/**
 * Destroy (if running) and start again.
 */
export interface HardRebootRequest__Output {
  /**
   * Required.
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * How long to wait for RUNNING, in seconds, 1-3600. Unset = the agent's default (60 s).
   */
  'wait_timeout_seconds'?: (number);
  /**
   * Unset or true: remove a managed-save image and boot fresh (Nova's hard reboot); false: resume it.
   */
  'discard_managed_save'?: (boolean);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id': (string);
  /**
   * Connected on the host before the start, in order; at most 256.
   */
  'volumes': (_virtagent_v1_VolumeAttachment__Output)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
  '_discard_managed_save'?: "discard_managed_save";
}
