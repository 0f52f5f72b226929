// Original file: proto/virtcontroller/v1/controller.proto


export interface StopInstanceRequest {
  'uuid'?: (string);
}

export interface StopInstanceRequest__Output {
  'uuid': (string);
}
