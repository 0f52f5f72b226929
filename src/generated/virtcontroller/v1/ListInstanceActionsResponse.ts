// Original file: proto/virtcontroller/v1/controller.proto

import type { InstanceAction as _virtcontroller_v1_InstanceAction, InstanceAction__Output as _virtcontroller_v1_InstanceAction__Output } from '../../virtcontroller/v1/InstanceAction';

/**
 * The answer of ListInstanceActions.
 */
export interface ListInstanceActionsResponse {
  /**
   * Oldest first.
   */
  'actions'?: (_virtcontroller_v1_InstanceAction)[];
}

/**
 * The answer of ListInstanceActions.
 */
export interface ListInstanceActionsResponse__Output {
  /**
   * Oldest first.
   */
  'actions': (_virtcontroller_v1_InstanceAction__Output)[];
}
