// Original file: proto/virtagent/v1/agent.proto

import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from '../../virtagent/v1/DomainRef';
import type { ShutdownMethod as _virtagent_v1_ShutdownMethod, ShutdownMethod__Output as _virtagent_v1_ShutdownMethod__Output } from '../../virtagent/v1/ShutdownMethod';

/**
 * A clean power-off, then a destroy if the guest does not stop in time.
 */
export interface PowerOffRequest {
  /**
   * Required.
   */
  'domain'?: (_virtagent_v1_DomainRef | null);
  /**
   * Clean-shutdown budget, in seconds, at most 3600. Unset = the agent's default (60 s);
   * 0 = destroy at once.
   */
  'timeout_seconds'?: (number);
  /**
   * Re-send the shutdown request this often, in seconds, 1-3600. Unset = the agent's default (10 s).
   */
  'retry_interval_seconds'?: (number);
  /**
   * Repeating a request id returns the first result instead of acting again. 1-128 characters of
   * [A-Za-z0-9._:-]; one id names one request (the same id for another method, domain or body is
   * INVALID_ARGUMENT); empty = never replayed.
   */
  'request_id'?: (string);
  /**
   * Order in which shutdown methods are tried; empty = the agent's configured order (guest agent, then ACPI).
   */
  'shutdown_methods'?: (_virtagent_v1_ShutdownMethod)[];
  '_timeout_seconds'?: "timeout_seconds";
  '_retry_interval_seconds'?: "retry_interval_seconds";
}

/**
 * A clean power-off, then a destroy if the guest does not stop in time.
 */
export interface PowerOffRequest__Output {
  /**
   * Required.
   */
  'domain': (_virtagent_v1_DomainRef__Output | null);
  /**
   * Clean-shutdown budget, in seconds, at most 3600. Unset = the agent's default (60 s);
   * 0 = destroy at once.
   */
  'timeout_seconds'?: (number);
  /**
   * Re-send the shutdown request this often, in seconds, 1-3600. Unset = the agent's default (10 s).
   */
  'retry_interval_seconds'?: (number);
  /**
   * Repeating a request id returns the first result instead of acting again. 1-128 characters of
   * [A-Za-z0-9._:-]; one id names one request (the same id for another method, domain or body is
   * INVALID_ARGUMENT); empty = never replayed.
   */
  'request_id': (string);
  /**
   * Order in which shutdown methods are tried; empty = the agent's configured order (guest agent, then ACPI).
   */
  'shutdown_methods': (_virtagent_v1_ShutdownMethod__Output)[];
  '_timeout_seconds'?: "timeout_seconds";
  '_retry_interval_seconds'?: "retry_interval_seconds";
}
