// Original file: proto/virtcontroller/v1/controller.proto

import type { Instance as _virtcontroller_v1_Instance, Instance__Output as _virtcontroller_v1_Instance__Output } from '../../virtcontroller/v1/Instance';

export interface ListInstancesResponse {
  'instances'?: (_virtcontroller_v1_Instance)[];
}

export interface ListInstancesResponse__Output {
  'instances': (_virtcontroller_v1_Instance__Output)[];
}
