// Original file: proto/grpc/reflection/v1/reflection.proto


export interface ServiceResponse {
  /**
   * Fully-qualified service name, e.g. "virtagent.v1.HostAgent".
   */
  'name'?: (string);
}

export interface ServiceResponse__Output {
  /**
   * Fully-qualified service name, e.g. "virtagent.v1.HostAgent".
   */
  'name': (string);
}
