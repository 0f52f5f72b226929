// Original file: proto/virtagent/v1/agent.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { LifecycleEvent as _virtagent_v1_LifecycleEvent, LifecycleEvent__Output as _virtagent_v1_LifecycleEvent__Output } from '../../virtagent/v1/LifecycleEvent';
import type { DeviceEvent as _virtagent_v1_DeviceEvent, DeviceEvent__Output as _virtagent_v1_DeviceEvent__Output } from '../../virtagent/v1/DeviceEvent';

/**
 * One libvirt event.
 */
export interface Event {
  /**
   * When the agent received it from libvirt.
   */
  'time'?: (_google_protobuf_Timestamp | null);
  /**
   * The domain's name.
   */
  'domain_name'?: (string);
  /**
   * The domain's UUID.
   */
  'domain_uuid'?: (string);
  /**
   * A lifecycle change (started, stopped, defined, ...).
   */
  'lifecycle'?: (_virtagent_v1_LifecycleEvent | null);
  /**
   * The guest released a device (libvirt's DEVICE_REMOVED): a detach completed.
   */
  'device_removed'?: (_virtagent_v1_DeviceEvent | null);
  /**
   * The guest refused to release a device (DEVICE_REMOVAL_FAILED).
   */
  'device_removal_failed'?: (_virtagent_v1_DeviceEvent | null);
  /**
   * What happened.
   */
  'kind'?: "lifecycle"|"device_removed"|"device_removal_failed";
}

/**
 * One libvirt event.
 */
export interface Event__Output {
  /**
   * When the agent received it from libvirt.
   */
  'time': (_google_protobuf_Timestamp__Output | null);
  /**
   * The domain's name.
   */
  'domain_name': (string);
  /**
   * The domain's UUID.
   */
  'domain_uuid': (string);
  /**
   * A lifecycle change (started, stopped, defined, ...).
   */
  'lifecycle'?: (_virtagent_v1_LifecycleEvent__Output | null);
  /**
   * The guest released a device (libvirt's DEVICE_REMOVED): a detach completed.
   */
  'device_removed'?: (_virtagent_v1_DeviceEvent__Output | null);
  /**
   * The guest refused to release a device (DEVICE_REMOVAL_FAILED).
   */
  'device_removal_failed'?: (_virtagent_v1_DeviceEvent__Output | null);
  /**
   * What happened.
   */
  'kind'?: "lifecycle"|"device_removed"|"device_removal_failed";
}
