// Original file: proto/virtagent/v1/agent.proto

import type { PowerState as _virtagent_v1_PowerState, PowerState__Output as _virtagent_v1_PowerState__Output } from '../../virtagent/v1/PowerState';
import type { Disk as _virtagent_v1_Disk, Disk__Output as _virtagent_v1_Disk__Output } from '../../virtagent/v1/Disk';

export interface Domain {
  'name'?: (string);
  'uuid'?: (string);
  'power_state'?: (_virtagent_v1_PowerState);
  /**
   * libvirt's reason for the state, as its symbolic name (e.g. "SHUTOFF_DESTROYED").
   */
  'state_reason'?: (string);
  'persistent'?: (boolean);
  'has_managed_save'?: (boolean);
  'disks'?: (_virtagent_v1_Disk)[];
  /**
   * libvirt's runtime id; -1 when not running
   */
  'id'?: (number);
}

export interface Domain__Output {
  'name': (string);
  'uuid': (string);
  'power_state': (_virtagent_v1_PowerState__Output);
  /**
   * libvirt's reason for the state, as its symbolic name (e.g. "SHUTOFF_DESTROYED").
   */
  'state_reason': (string);
  'persistent': (boolean);
  'has_managed_save': (boolean);
  'disks': (_virtagent_v1_Disk__Output)[];
  /**
   * libvirt's runtime id; -1 when not running
   */
  'id': (number);
}
