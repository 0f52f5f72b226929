// Original file: proto/virtagent/v1/agent.proto


export interface ListDomainsRequest {
}

export interface ListDomainsRequest__Output {
}
