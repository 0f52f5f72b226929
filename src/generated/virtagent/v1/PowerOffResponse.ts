// Original file: proto/virtagent/v1/agent.proto

import type { PowerState as _virtagent_v1_PowerState, PowerState__Output as _virtagent_v1_PowerState__Output } from '../../virtagent/v1/PowerState';
import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';
import type { Long } from '@grpc/proto-loader';

/**
 * The answer of PowerOff.
 */
export interface PowerOffResponse {
  /**
   * The guest stopped by itself (or was already off); false = it was destroyed.
   */
  'clean'?: (boolean);
  /**
   * Shutdown requests sent to the guest (0 when it was already off or destroyed at once).
   */
  'shutdown_requests'?: (number);
  /**
   * Milliseconds the operation took, from its start (after queueing) to its end.
   */
  'elapsed_ms'?: (number | string | Long);
  /**
   * The state it was left in (SHUTOFF, or CRASHED for a crashed domain with no process left).
   */
  'power_state'?: (_virtagent_v1_PowerState);
  /**
   * What was done, in order.
   */
  'steps'?: (_virtagent_v1_Step)[];
}

/**
 * The answer of PowerOff.
 */
export interface PowerOffResponse__Output {
  /**
   * The guest stopped by itself (or was already off); false = it was destroyed.
   */
  'clean': (boolean);
  /**
   * Shutdown requests sent to the guest (0 when it was already off or destroyed at once).
   */
  'shutdown_requests': (number);
  /**
   * Milliseconds the operation took, from its start (after queueing) to its end.
   */
  'elapsed_ms': (number);
  /**
   * The state it was left in (SHUTOFF, or CRASHED for a crashed domain with no process left).
   */
  'power_state': (_virtagent_v1_PowerState__Output);
  /**
   * What was done, in order.
   */
  'steps': (_virtagent_v1_Step__Output)[];
}
