// Original file: proto/virtcontroller/v1/controller.proto

import type { VmState as _virtcontroller_v1_VmState, VmState__Output as _virtcontroller_v1_VmState__Output } from '../../virtcontroller/v1/VmState';

/**
 * Which instances ListInstances answers; each filter applies when set.
 */
export interface ListInstancesRequest {
  /**
   * Only this project's.
   */
  'project_id'?: (string);
  /**
   * Only those on this host.
   */
  'host'?: (string);
  /**
   * Only those in this state; unset = every state but VM_STATE_DELETED.
   */
  'vm_state'?: (_virtcontroller_v1_VmState);
}

/**
 * Which instances ListInstances answers; each filter applies when set.
 */
export interface ListInstancesRequest__Output {
  /**
   * Only this project's.
   */
  'project_id': (string);
  /**
   * Only those on this host.
   */
  'host': (string);
  /**
   * Only those in this state; unset = every state but VM_STATE_DELETED.
   */
  'vm_state': (_virtcontroller_v1_VmState__Output);
}
