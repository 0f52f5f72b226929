// Original file: proto/virtcontroller/v1/controller.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A project's limits; -1 = unlimited.
 */
export interface QuotaLimits {
  /**
   * Instances at most (default 10).
   */
  'instances'?: (number | string | Long);
  /**
   * Virtual CPUs at most (default 20).
   */
  'vcpus'?: (number | string | Long);
  /**
   * Memory at most, in MiB (default 51200).
   */
  'memory_mib'?: (number | string | Long);
}

/**
 * A project's limits; -1 = unlimited.
 */
export interface QuotaLimits__Output {
  /**
   * Instances at most (default 10).
   */
  'instances': (number);
  /**
   * Virtual CPUs at most (default 20).
   */
  'vcpus': (number);
  /**
   * Memory at most, in MiB (default 51200).
   */
  'memory_mib': (number);
}
