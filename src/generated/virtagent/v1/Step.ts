// Original file: proto/virtagent/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One thing an operation did, in order, for the response and the log.
 */
export interface Step {
  'name'?: (string);
  /**
   * "ok", "skipped", "fallback", "warning", "failed"
   */
  'outcome'?: (string);
  'detail'?: (string);
  'duration_ms'?: (number | string | Long);
}

/**
 * One thing an operation did, in order, for the response and the log.
 */
export interface Step__Output {
  'name': (string);
  /**
   * "ok", "skipped", "fallback", "warning", "failed"
   */
  'outcome': (string);
  'detail': (string);
  'duration_ms': (number);
}
