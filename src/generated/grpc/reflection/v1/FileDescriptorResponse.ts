// Original file: proto/grpc/reflection/v1/reflection.proto


export interface FileDescriptorResponse {
  /**
   * Serialized FileDescriptorProto messages: the requested file first, then
   * its dependencies not yet sent on this stream.
   */
  'file_descriptor_proto'?: (Buffer | Uint8Array | string)[];
}

export interface FileDescriptorResponse__Output {
  /**
   * Serialized FileDescriptorProto messages: the requested file first, then
   * its dependencies not yet sent on this stream.
   */
  'file_descriptor_proto': (Buffer)[];
}
