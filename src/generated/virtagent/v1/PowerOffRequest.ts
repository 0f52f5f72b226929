// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { ShutdownMethod as _virtagent_v1_ShutdownMethod, ShutdownMethod__Output as _virtagent_v1_ShutdownMethod__Output } from '../../virtagent/v1/ShutdownMethod';

export interface PowerOffRequest {
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * Clean-shutdown budget. Unset = the agent's default (60 s); 0 = destroy at once.
   */
  'timeout_seconds'?: (number);
  /**
   * Re-send the shutdown request this often. Unset = the agent's default (10 s).
   */
  'retry_interval_seconds'?: (number);
  /**
   * Repeating a request id returns the first result instead of acting again.
   */
  'request_id'?: (string);
  /**
   * Order in which shutdown methods are tried; empty = the agent's configured order.
   */
  'shutdown_methods'?: (_virtagent_v1_ShutdownMethod)[];
  '_timeout_seconds'?: "timeout_seconds";
  '_retry_interval_seconds'?: "retry_interval_seconds";
}

export interface PowerOffRequest__Output {
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * Clean-shutdown budget. Unset = the agent's default (60 s); 0 = destroy at once.
   */
  'timeout_seconds'?: (number);
  /**
   * Re-send the shutdown request this often. Unset = the agent's default (10 s).
   */
  'retry_interval_seconds'?: (number);
  /**
   * Repeating a request id returns the first result instead of acting again.
   */
  'request_id': (string);
  /**
   * Order in which shutdown methods are tried; empty = the agent's configured order.
   */
  'shutdown_methods': (_virtagent_v1_ShutdownMethod__Output)[];
  '_timeout_seconds'?: "timeout_seconds";
  '_retry_interval_seconds'?: "retry_interval_seconds";
}
