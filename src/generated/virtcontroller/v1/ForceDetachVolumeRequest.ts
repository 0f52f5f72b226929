// Original file: proto/virtcontroller/v1/controller.proto


export interface ForceDetachVolumeRequest {
  'volume_id'?: (string);
}

export interface ForceDetachVolumeRequest__Output {
  'volume_id': (string);
}
