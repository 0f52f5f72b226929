// Original file: proto/grpc/reflection/v1/reflection.proto


export interface ErrorResponse {
  /**
   * A google.rpc.Code value.
   */
  'error_code'?: (number);
  'error_message'?: (string);
}

export interface ErrorResponse__Output {
  /**
   * A google.rpc.Code value.
   */
  'error_code': (number);
  'error_message': (string);
}
