// Original file: proto/virtagent/v1/agent.proto


/**
 * GetHostInfo takes no arguments.
 */
export interface GetHostInfoRequest {
}

/**
 * GetHostInfo takes no arguments.
 */
export interface GetHostInfoRequest__Output {
}
