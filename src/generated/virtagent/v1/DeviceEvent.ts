// Original file: proto/virtagent/v1/agent.proto


export interface DeviceEvent {
  'device_alias'?: (string);
}

export interface DeviceEvent__Output {
  'device_alias': (string);
}
