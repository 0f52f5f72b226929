// Original file: proto/virtcontroller/v1/controller.proto


export interface StartInstanceRequest {
  'uuid'?: (string);
}

export interface StartInstanceRequest__Output {
  'uuid': (string);
}
