// Original file: proto/virtcontroller/v1/controller.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The controller's answer to a heartbeat.
 */
export interface HeartbeatResponse {
  /**
   * Seconds until the next heartbeat is expected (the agent's report interval).
   */
  'report_interval_seconds'?: (number | string | Long);
}

/**
 * The controller's answer to a heartbeat.
 */
export interface HeartbeatResponse__Output {
  /**
   * Seconds until the next heartbeat is expected (the agent's report interval).
   */
  'report_interval_seconds': (number);
}
