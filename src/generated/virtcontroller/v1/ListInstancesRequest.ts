// Original file: proto/virtcontroller/v1/controller.proto

import type { VmState as _virtcontroller_v1_VmState, VmState__Output as _virtcontroller_v1_VmState__Output } from '../../virtcontroller/v1/VmState';

export interface ListInstancesRequest {
  /**
   * Each filter applies when set.
   */
  'project_id'?: (string);
  'host'?: (string);
  'vm_state'?: (_virtcontroller_v1_VmState);
}

export interface ListInstancesRequest__Output {
  /**
   * Each filter applies when set.
   */
  'project_id': (string);
  'host': (string);
  'vm_state': (_virtcontroller_v1_VmState__Output);
}
