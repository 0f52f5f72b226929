// Original file: proto/virtcontroller/v1/controller.proto


export interface GetQuotaUsageRequest {
  'project_id'?: (string);
}

export interface GetQuotaUsageRequest__Output {
  'project_id': (string);
}
