// Original file: proto/virtagent/v1/agent.proto

import type { PowerState as _virtagent_v1_PowerState, PowerState__Output as _virtagent_v1_PowerState__Output } from '../../virtagent/v1/PowerState';
import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';
import type { Long } from '@grpc/proto-loader';

/**
 * The answer of PowerOn and HardReboot.
 */
export interface PowerOnResponse {
  /**
   * The state at the end: RUNNING once started (or when it already was).
   */
  'power_state'?: (_virtagent_v1_PowerState);
  /**
   * Milliseconds the operation took, from its start (after queueing) to RUNNING.
   */
  'elapsed_ms'?: (number | string | Long);
  /**
   * The domain was started; false when it was already running (PowerOn only).
   */
  'started'?: (boolean);
  /**
   * It was resumed from its managed-save image rather than booted.
   */
  'resumed_managed_save'?: (boolean);
  /**
   * What was done, in order.
   */
  'steps'?: (_virtagent_v1_Step)[];
}

/**
 * The answer of PowerOn and HardReboot.
 */
export interface PowerOnResponse__Output {
  /**
   * The state at the end: RUNNING once started (or when it already was).
   */
  'power_state': (_virtagent_v1_PowerState__Output);
  /**
   * Milliseconds the operation took, from its start (after queueing) to RUNNING.
   */
  'elapsed_ms': (number);
  /**
   * The domain was started; false when it was already running (PowerOn only).
   */
  'started': (boolean);
  /**
   * It was resumed from its managed-save image rather than booted.
   */
  'resumed_managed_save': (boolean);
  /**
   * What was done, in order.
   */
  'steps': (_virtagent_v1_Step__Output)[];
}
