// Original file: proto/virtcontroller/v1/controller.proto


export interface ListInstanceActionsRequest {
  'uuid'?: (string);
}

export interface ListInstanceActionsRequest__Output {
  'uuid': (string);
}
