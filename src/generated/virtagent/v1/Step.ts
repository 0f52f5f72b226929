// Original file: proto/virtagent/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One thing an operation did, in order, for the response and the log.
 */
export interface Step {
  /**
   * What was done, e.g. "destroy-graceful", "undefine", "iscsi: logout 10.0.0.1:3260 iqn...".
   */
  'name'?: (string);
  /**
   * "ok", "skipped", "fallback", "warning" or "failed".
   */
  'outcome'?: (string);
  /**
   * Why, or what it found; may be empty.
   */
  'detail'?: (string);
  /**
   * How long the step took, in milliseconds.
   */
  'duration_ms'?: (number | string | Long);
}

/**
 * One thing an operation did, in order, for the response and the log.
 */
export interface Step__Output {
  /**
   * What was done, e.g. "destroy-graceful", "undefine", "iscsi: logout 10.0.0.1:3260 iqn...".
   */
  'name': (string);
  /**
   * "ok", "skipped", "fallback", "warning" or "failed".
   */
  'outcome': (string);
  /**
   * Why, or what it found; may be empty.
   */
  'detail': (string);
  /**
   * How long the step took, in milliseconds.
   */
  'duration_ms': (number);
}
