// Original file: proto/virtcontroller/v1/controller.proto

import type { InstanceAction as _virtcontroller_v1_InstanceAction, InstanceAction__Output as _virtcontroller_v1_InstanceAction__Output } from '../../virtcontroller/v1/InstanceAction';

export interface ListInstanceActionsResponse {
  'actions'?: (_virtcontroller_v1_InstanceAction)[];
}

export interface ListInstanceActionsResponse__Output {
  'actions': (_virtcontroller_v1_InstanceAction__Output)[];
}
