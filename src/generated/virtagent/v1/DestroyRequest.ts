// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from '../../virtagent/v1/VolumeAttachment';

/**
 * Remove a domain and what it owns.
 */
export interface DestroyRequest {
  /**
   * Required. A domain libvirt does not know is still cleaned up after (see destroy_disks, volumes).
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * Remove what the instance owns: file disks in <instances_path>/<uuid>/ that no other domain uses,
   * <uuid>_* RBD images in the configured pools, <uuid>_* LVs in the configured volume group, and the
   * instance directory. Anything else is kept, with a skipped step saying why.
   */
  'destroy_disks'?: (boolean);
  /**
   * Undefine with KEEP_NVRAM instead of removing the NVRAM file.
   */
  'keep_nvram'?: (boolean);
  /**
   * Disconnected on the host (and detached from the guest first); at most 256. With destroy_disks a
   * failure is a warning; without, it fails the Destroy.
   */
  'volumes'?: (_virtagent_v1_VolumeAttachment)[];
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id'?: (string);
}

/**
 * Remove a domain and what it owns.
 */
export interface DestroyRequest__Output {
  /**
   * Required. A domain libvirt does not know is still cleaned up after (see destroy_disks, volumes).
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * Remove what the instance owns: file disks in <instances_path>/<uuid>/ that no other domain uses,
   * <uuid>_* RBD images in the configured pools, <uuid>_* LVs in the configured volume group, and the
   * instance directory. Anything else is kept, with a skipped step saying why.
   */
  'destroy_disks': (boolean);
  /**
   * Undefine with KEEP_NVRAM instead of removing the NVRAM file.
   */
  'keep_nvram': (boolean);
  /**
   * Disconnected on the host (and detached from the guest first); at most 256. With destroy_disks a
   * failure is a warning; without, it fails the Destroy.
   */
  'volumes': (_virtagent_v1_VolumeAttachment__Output)[];
  /**
   * As PowerOffRequest.request_id.
   */
  'request_id': (string);
}
