// Original file: proto/virtagent/v1/agent.proto

import type { PowerState as _virtagent_v1_PowerState, PowerState__Output as _virtagent_v1_PowerState__Output } from '../../virtagent/v1/PowerState';
import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';
import type { Long } from '@grpc/proto-loader';

export interface PowerOffResponse {
  /**
   * the guest stopped by itself; false = it was destroyed
   */
  'clean'?: (boolean);
  'shutdown_requests'?: (number);
  'elapsed_ms'?: (number | string | Long);
  'power_state'?: (_virtagent_v1_PowerState);
  'steps'?: (_virtagent_v1_Step)[];
}

export interface PowerOffResponse__Output {
  /**
   * the guest stopped by itself; false = it was destroyed
   */
  'clean': (boolean);
  'shutdown_requests': (number);
  'elapsed_ms': (number);
  'power_state': (_virtagent_v1_PowerState__Output);
  'steps': (_virtagent_v1_Step__Output)[];
}
