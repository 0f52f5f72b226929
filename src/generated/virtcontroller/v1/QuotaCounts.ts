// Original file: proto/virtcontroller/v1/controller.proto

import type { Long } from '@grpc/proto-loader';

export interface QuotaCounts {
  'instances'?: (number | string | Long);
  'vcpus'?: (number | string | Long);
  'memory_mib'?: (number | string | Long);
}

export interface QuotaCounts__Output {
  'instances': (number);
  'vcpus': (number);
  'memory_mib': (number);
}
