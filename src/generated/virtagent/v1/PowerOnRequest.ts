// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

/**
 * Start a stopped domain.
 */
export interface PowerOnRequest {
  /**
   * Required.
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * How long to wait for RUNNING, in seconds, 1-3600. Unset = the agent's default (60 s).
   */
  'wait_timeout_seconds'?: (number);
  /**
   * Remove a managed-save image first instead of resuming from it (default false: resume).
   */
  'discard_managed_save'?: (boolean);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id'?: (string);
  /**
   * Connected on the host (as ConnectVolume does) before the start, in order; at most 256.
   */
  'volumes'?: (_virtagent_v1_VolumeAttachment)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
}

/**
 * Start a stopped domain.
 */
export interface PowerOnRequest__Output {
  /**
   * Required.
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * How long to wait for RUNNING, in seconds, 1-3600. Unset = the agent's default (60 s).
   */
  'wait_timeout_seconds'?: (number);
  /**
   * Remove a managed-save image first instead of resuming from it (default false: resume).
   */
  'discard_managed_save': (boolean);
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id': (string);
  /**
   * Connected on the host (as ConnectVolume does) before the start, in order; at most 256.
   */
  'volumes': (_virtagent_v1_VolumeAttachment__Output)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
}
