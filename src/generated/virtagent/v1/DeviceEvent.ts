// Original file: proto/virtagent/v1/agent.proto


/**
 * A device event of a domain.
 */
export interface DeviceEvent {
  /**
   * libvirt's alias of the device, e.g. "virtio-disk1".
   */
  'device_alias'?: (string);
}

/**
 * A device event of a domain.
 */
export interface DeviceEvent__Output {
  /**
   * libvirt's alias of the device, e.g. "virtio-disk1".
   */
  'device_alias': (string);
}
