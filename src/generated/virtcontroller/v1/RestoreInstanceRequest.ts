// Original file: proto/virtcontroller/v1/controller.proto


export interface RestoreInstanceRequest {
  'uuid'?: (string);
}

export interface RestoreInstanceRequest__Output {
  'uuid': (string);
}
