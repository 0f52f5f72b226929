// Original file: proto/virtagent/v1/agent.proto

import type { PowerState as _virtagent_v1_PowerState, PowerState__Output as _virtagent_v1_PowerState__Output } from '../../virtagent/v1/PowerState';
import type { Disk as _virtagent_v1_Disk, Disk__Output as _virtagent_v1_Disk__Output } from '../../virtagent/v1/Disk';

/**
 * What the agent reports about one domain.
 */
export interface Domain {
  /**
   * libvirt's domain name.
   */
  'name'?: (string);
  /**
   * The domain's UUID, lower case.
   */
  'uuid'?: (string);
  /**
   * The state when the domain was read.
   */
  'power_state'?: (_virtagent_v1_PowerState);
  /**
   * libvirt's reason for the state, as its symbolic name (e.g. "SHUTOFF_DESTROYED").
   */
  'state_reason'?: (string);
  /**
   * It has a persistent definition (false: transient, gone from libvirt once stopped).
   */
  'persistent'?: (boolean);
  /**
   * It has a managed-save image (PowerOn resumes from it).
   */
  'has_managed_save'?: (boolean);
  /**
   * Its disks, in the order of the XML's <devices>.
   */
  'disks'?: (_virtagent_v1_Disk)[];
  /**
   * libvirt's runtime id when the domain was looked up; -1 when not running.
   */
  'id'?: (number);
}

/**
 * What the agent reports about one domain.
 */
export interface Domain__Output {
  /**
   * libvirt's domain name.
   */
  'name': (string);
  /**
   * The domain's UUID, lower case.
   */
  'uuid': (string);
  /**
   * The state when the domain was read.
   */
  'power_state': (_virtagent_v1_PowerState__Output);
  /**
   * libvirt's reason for the state, as its symbolic name (e.g. "SHUTOFF_DESTROYED").
   */
  'state_reason': (string);
  /**
   * It has a persistent definition (false: transient, gone from libvirt once stopped).
   */
  'persistent': (boolean);
  /**
   * It has a managed-save image (PowerOn resumes from it).
   */
  'has_managed_save': (boolean);
  /**
   * Its disks, in the order of the XML's <devices>.
   */
  'disks': (_virtagent_v1_Disk__Output)[];
  /**
   * libvirt's runtime id when the domain was looked up; -1 when not running.
   */
  'id': (number);
}
