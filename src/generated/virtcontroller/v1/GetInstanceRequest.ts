// Original file: proto/virtcontroller/v1/controller.proto


export interface GetInstanceRequest {
  'uuid'?: (string);
}

export interface GetInstanceRequest__Output {
  'uuid': (string);
}
