// Original file: proto/virtcontroller/v1/controller.proto

import type { Instance as _virtcontroller_v1_Instance, Instance__Output as _virtcontroller_v1_Instance__Output } from '../../virtcontroller/v1/Instance';

/**
 * The answer of ListInstances.
 */
export interface ListInstancesResponse {
  /**
   * Oldest first.
   */
  'instances'?: (_virtcontroller_v1_Instance)[];
}

/**
 * The answer of ListInstances.
 */
export interface ListInstancesResponse__Output {
  /**
   * Oldest first.
   */
  'instances': (_virtcontroller_v1_Instance__Output)[];
}
