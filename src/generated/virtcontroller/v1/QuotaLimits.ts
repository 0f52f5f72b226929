// Original file: proto/virtcontroller/v1/controller.proto

import type { Long } from '@grpc/proto-loader';

/**
 * -1 = unlimited.
 */
export interface QuotaLimits {
  'instances'?: (number | string | Long);
  'vcpus'?: (number | string | Long);
  'memory_mib'?: (number | string | Long);
}

/**
 * -1 = unlimited.
 */
export interface QuotaLimits__Output {
  'instances': (number);
  'vcpus': (number);
  'memory_mib': (number);
}
