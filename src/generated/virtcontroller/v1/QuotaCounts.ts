// Original file: proto/virtcontroller/v1/controller.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What a project's instances hold.
 */
export interface QuotaCounts {
  /**
   * Instances.
   */
  'instances'?: (number | string | Long);
  /**
   * Virtual CPUs.
   */
  'vcpus'?: (number | string | Long);
  /**
   * Memory, in MiB.
   */
  'memory_mib'?: (number | string | Long);
}

/**
 * What a project's instances hold.
 */
export interface QuotaCounts__Output {
  /**
   * Instances.
   */
  'instances': (number);
  /**
   * Virtual CPUs.
   */
  'vcpus': (number);
  /**
   * Memory, in MiB.
   */
  'memory_mib': (number);
}
