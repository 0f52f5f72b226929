// Original file: proto/virtcontroller/v1/controller.proto

import type { VolumeSpec as _virtcontroller_v1_VolumeSpec, VolumeSpec__Output as _virtcontroller_v1_VolumeSpec__Output } from '../../virtcontroller/v1/VolumeSpec';

export interface CreateInstanceRequest {
  'name'?: (string);
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
  'vcpus'?: (number);
  'memory_mib'?: (number);
  /**
   * Volumes already connected for this instance, recorded as attached.
   */
  'volumes'?: (_virtcontroller_v1_VolumeSpec)[];
}

export interface CreateInstanceRequest__Output {
  'name': (string);
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
  'vcpus': (number);
  'memory_mib': (number);
  /**
   * Volumes already connected for this instance, recorded as attached.
   */
  'volumes': (_virtcontroller_v1_VolumeSpec__Output)[];
}
