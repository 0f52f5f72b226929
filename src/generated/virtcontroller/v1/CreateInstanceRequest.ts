// Original file: proto/virtcontroller/v1/controller.proto

import type { VolumeSpec as _virtcontroller_v1_VolumeSpec, VolumeSpec__Output as _virtcontroller_v1_VolumeSpec__Output } from '../../virtcontroller/v1/VolumeSpec';

/**
 * A new instance.
 */
export interface CreateInstanceRequest {
  /**
   * 1-255 characters without control characters.
   */
  'name'?: (string);
  /**
   * 1-255 characters of [A-Za-z0-9._-]; the quota counted against.
   */
  'project_id'?: (string);
  /**
   * A host name the controller knows (--agent NAME=ADDRESS).
   */
  'host'?: (string);
  /**
   * libvirt domain XML. Without <uuid> one is generated and inserted; without
   * <name> the uuid is the domain name; <vcpu> and <memory> must match
   * vcpus and memory_mib when present and are inserted when absent.
   */
  'domain_xml'?: (string);
  /**
   * Virtual CPUs, 1-4096 (counted against the project's quota).
   */
  'vcpus'?: (number);
  /**
   * Memory in MiB, 1-67108864 (counted against the project's quota).
   */
  'memory_mib'?: (number);
  /**
   * Volumes already connected for this instance, recorded as attached.
   */
  'volumes'?: (_virtcontroller_v1_VolumeSpec)[];
}

/**
 * A new instance.
 */
export interface CreateInstanceRequest__Output {
  /**
   * 1-255 characters without control characters.
   */
  'name': (string);
  /**
   * 1-255 characters of [A-Za-z0-9._-]; the quota counted against.
   */
  'project_id': (string);
  /**
   * A host name the controller knows (--agent NAME=ADDRESS).
   */
  'host': (string);
  /**
   * libvirt domain XML. Without <uuid> one is generated and inserted; without
   * <name> the uuid is the domain name; <vcpu> and <memory> must match
   * vcpus and memory_mib when present and are inserted when absent.
   */
  'domain_xml': (string);
  /**
   * Virtual CPUs, 1-4096 (counted against the project's quota).
   */
  'vcpus': (number);
  /**
   * Memory in MiB, 1-67108864 (counted against the project's quota).
   */
  'memory_mib': (number);
  /**
   * Volumes already connected for this instance, recorded as attached.
   */
  'volumes': (_virtcontroller_v1_VolumeSpec__Output)[];
}
