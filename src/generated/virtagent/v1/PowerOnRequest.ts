// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

export interface PowerOnRequest {
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * How long to wait for RUNNING. Unset = the agent's default (60 s).
   */
  'wait_timeout_seconds'?: (number);
  /**
   * Remove a managed-save image first instead of resuming from it.
   */
  'discard_managed_save'?: (boolean);
  'request_id'?: (string);
  /**
   * Connected on the host (as ConnectVolume does) before the start, in order.
   */
  'volumes'?: (_virtagent_v1_VolumeAttachment)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
}

export interface PowerOnRequest__Output {
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * How long to wait for RUNNING. Unset = the agent's default (60 s).
   */
  'wait_timeout_seconds'?: (number);
  /**
   * Remove a managed-save image first instead of resuming from it.
   */
  'discard_managed_save': (boolean);
  'request_id': (string);
  /**
   * Connected on the host (as ConnectVolume does) before the start, in order.
   */
  'volumes': (_virtagent_v1_VolumeAttachment__Output)[];
  '_wait_timeout_seconds'?: "wait_timeout_seconds";
}
