// Original file: proto/grpc/reflection/v1/reflection.proto

import type { ExtensionRequest as _grpc_reflection_v1_ExtensionRequest, ExtensionRequest__Output as _grpc_reflection_v1_ExtensionRequest__Output } from '../../../grpc/reflection/v1/ExtensionRequest';

export interface ServerReflectionRequest {
  'host'?: (string);
  /**
   * A file by its import path, e.g. "google/protobuf/timestamp.proto".
   */
  'file_by_filename'?: (string);
  /**
   * The file defining a fully-qualified symbol: package.Service,
   * package.Service.Method, package.Message, package.Enum, ...
   */
  'file_containing_symbol'?: (string);
  'file_containing_extension'?: (_grpc_reflection_v1_ExtensionRequest | null);
  /**
   * A fully-qualified message type name.
   */
  'all_extension_numbers_of_type'?: (string);
  /**
   * The content is not checked.
   */
  'list_services'?: (string);
  'message_request'?: "file_by_filename"|"file_containing_symbol"|"file_containing_extension"|"all_extension_numbers_of_type"|"list_services";
}

export interface ServerReflectionRequest__Output {
  'host': (string);
  /**
   * A file by its import path, e.g. "google/protobuf/timestamp.proto".
   */
  'file_by_filename'?: (string);
  /**
   * The file defining a fully-qualified symbol: package.Service,
   * package.Service.Method, package.Message, package.Enum, ...
   */
  'file_containing_symbol'?: (string);
  'file_containing_extension'?: (_grpc_reflection_v1_ExtensionRequest__Output | null);
  /**
   * A fully-qualified message type name.
   */
  'all_extension_numbers_of_type'?: (string);
  /**
   * The content is not checked.
   */
  'list_services'?: (string);
  'message_request'?: "file_by_filename"|"file_containing_symbol"|"file_containing_extension"|"all_extension_numbers_of_type"|"list_services";
}
