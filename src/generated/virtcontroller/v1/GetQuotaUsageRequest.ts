// Original file: proto/virtcontroller/v1/controller.proto


/**
 * The project GetQuotaUsage reports on.
 */
export interface GetQuotaUsageRequest {
  /**
   * 1-255 characters of [A-Za-z0-9._-].
   */
  'project_id'?: (string);
}

/**
 * The project GetQuotaUsage reports on.
 */
export interface GetQuotaUsageRequest__Output {
  /**
   * 1-255 characters of [A-Za-z0-9._-].
   */
  'project_id': (string);
}
