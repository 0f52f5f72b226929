// Original file: proto/virtcontroller/v1/controller.proto


export interface DetachVolumeRequest {
  'uuid'?: (string);
  'volume_id'?: (string);
}

export interface DetachVolumeRequest__Output {
  'uuid': (string);
  'volume_id': (string);
}
