// Original file: proto/grpc/health/v1/health.proto


export interface HealthCheckRequest {
  /**
   * "" asks about the server as a whole.
   */
  'service'?: (string);
}

export interface HealthCheckRequest__Output {
  /**
   * "" asks about the server as a whole.
   */
  'service': (string);
}
