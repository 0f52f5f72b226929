// Original file: proto/virtcontroller/v1/controller.proto


export interface DeleteInstanceRequest {
  'uuid'?: (string);
}

export interface DeleteInstanceRequest__Output {
  'uuid': (string);
}
