// Original file: proto/virtagent/v1/agent.proto

import type { PowerState as _virtagent_v1_PowerState, PowerState__Output as _virtagent_v1_PowerState__Output } from '../../virtagent/v1/PowerState';
import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';
import type { Long } from '@grpc/proto-loader';

export interface PowerOnResponse {
  'power_state'?: (_virtagent_v1_PowerState);
  'elapsed_ms'?: (number | string | Long);
  /**
   * false when the domain was already running (PowerOn only)
   */
  'started'?: (boolean);
  'resumed_managed_save'?: (boolean);
  'steps'?: (_virtagent_v1_Step)[];
}

export interface PowerOnResponse__Output {
  'power_state': (_virtagent_v1_PowerState__Output);
  'elapsed_ms': (number);
  /**
   * false when the domain was already running (PowerOn only)
   */
  'started': (boolean);
  'resumed_managed_save': (boolean);
  'steps': (_virtagent_v1_Step__Output)[];
}
