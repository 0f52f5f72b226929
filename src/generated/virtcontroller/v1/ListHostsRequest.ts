// Original file: proto/virtcontroller/v1/controller.proto


/**
 * No filter: every host.
 */
export interface ListHostsRequest {
}

/**
 * No filter: every host.
 */
export interface ListHostsRequest__Output {
}
