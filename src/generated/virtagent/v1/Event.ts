// Original file: proto/virtagent/v1/agent.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { LifecycleEvent as _virtagent_v1_LifecycleEvent, LifecycleEvent__Output as _virtagent_v1_LifecycleEvent__Output } from '../../virtagent/v1/LifecycleEvent';
import type { DeviceEvent as _virtagent_v1_DeviceEvent, DeviceEvent__Output as _virtagent_v1_DeviceEvent__Output } from '../../virtagent/v1/DeviceEvent';

export interface Event {
  'time'?: (_google_protobuf_Timestamp | null);
  'domain_name'?: (string);
  'domain_uuid'?: (string);
  'lifecycle'?: (_virtagent_v1_LifecycleEvent | null);
  'device_removed'?: (_virtagent_v1_DeviceEvent | null);
  'device_removal_failed'?: (_virtagent_v1_DeviceEvent | null);
  'kind'?: "lifecycle"|"device_removed"|"device_removal_failed";
}

export interface Event__Output {
  'time': (_google_protobuf_Timestamp__Output | null);
  'domain_name': (string);
  'domain_uuid': (string);
  'lifecycle'?: (_virtagent_v1_LifecycleEvent__Output | null);
  'device_removed'?: (_virtagent_v1_DeviceEvent__Output | null);
  'device_removal_failed'?: (_virtagent_v1_DeviceEvent__Output | null);
  'kind'?: "lifecycle"|"device_removed"|"device_removal_failed";
}
