import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { AttachVolumeRequest as _virtcontroller_v1_AttachVolumeRequest, AttachVolumeRequest__Output as _virtcontroller_v1_AttachVolumeRequest__Output } from './virtcontroller/v1/AttachVolumeRequest';
import type { ConnectionInfo as _virtcontroller_v1_ConnectionInfo, ConnectionInfo__Output as _virtcontroller_v1_ConnectionInfo__Output } from './virtcontroller/v1/ConnectionInfo';
import type { ControllerClient as _virtcontroller_v1_ControllerClient, ControllerDefinition as _virtcontroller_v1_ControllerDefinition } from './virtcontroller/v1/Controller';
import type { CreateInstanceRequest as _virtcontroller_v1_CreateInstanceRequest, CreateInstanceRequest__Output as _virtcontroller_v1_CreateInstanceRequest__Output } from './virtcontroller/v1/CreateInstanceRequest';
import type { DeleteInstanceRequest as _virtcontroller_v1_DeleteInstanceRequest, DeleteInstanceRequest__Output as _virtcontroller_v1_DeleteInstanceRequest__Output } from './virtcontroller/v1/DeleteInstanceRequest';
import type { DetachVolumeRequest as _virtcontroller_v1_DetachVolumeRequest, DetachVolumeRequest__Output as _virtcontroller_v1_DetachVolumeRequest__Output } from './virtcontroller/v1/DetachVolumeRequest';
import type { ForceDeleteInstanceRequest as _virtcontroller_v1_ForceDeleteInstanceRequest, ForceDeleteInstanceRequest__Output as _virtcontroller_v1_ForceDeleteInstanceRequest__Output } from './virtcontroller/v1/ForceDeleteInstanceRequest';
import type { ForceDetachVolumeRequest as _virtcontroller_v1_ForceDetachVolumeRequest, ForceDetachVolumeRequest__Output as _virtcontroller_v1_ForceDetachVolumeRequest__Output } from './virtcontroller/v1/ForceDetachVolumeRequest';
import type { GetInstanceRequest as _virtcontroller_v1_GetInstanceRequest, GetInstanceRequest__Output as _virtcontroller_v1_GetInstanceRequest__Output } from './virtcontroller/v1/GetInstanceRequest';
import type { GetQuotaUsageRequest as _virtcontroller_v1_GetQuotaUsageRequest, GetQuotaUsageRequest__Output as _virtcontroller_v1_GetQuotaUsageRequest__Output } from './virtcontroller/v1/GetQuotaUsageRequest';
import type { HeartbeatRequest as _virtcontroller_v1_HeartbeatRequest, HeartbeatRequest__Output as _virtcontroller_v1_HeartbeatRequest__Output } from './virtcontroller/v1/HeartbeatRequest';
import type { HeartbeatResponse as _virtcontroller_v1_HeartbeatResponse, HeartbeatResponse__Output as _virtcontroller_v1_HeartbeatResponse__Output } from './virtcontroller/v1/HeartbeatResponse';
import type { Host as _virtcontroller_v1_Host, Host__Output as _virtcontroller_v1_Host__Output } from './virtcontroller/v1/Host';
import type { Instance as _virtcontroller_v1_Instance, Instance__Output as _virtcontroller_v1_Instance__Output } from './virtcontroller/v1/Instance';
import type { InstanceAction as _virtcontroller_v1_InstanceAction, InstanceAction__Output as _virtcontroller_v1_InstanceAction__Output } from './virtcontroller/v1/InstanceAction';
import type { ListHostsRequest as _virtcontroller_v1_ListHostsRequest, ListHostsRequest__Output as _virtcontroller_v1_ListHostsRequest__Output } from './virtcontroller/v1/ListHostsRequest';
import type { ListHostsResponse as _virtcontroller_v1_ListHostsResponse, ListHostsResponse__Output as _virtcontroller_v1_ListHostsResponse__Output } from './virtcontroller/v1/ListHostsResponse';
import type { ListInstanceActionsRequest as _virtcontroller_v1_ListInstanceActionsRequest, ListInstanceActionsRequest__Output as _virtcontroller_v1_ListInstanceActionsRequest__Output } from './virtcontroller/v1/ListInstanceActionsRequest';
import type { ListInstanceActionsResponse as _virtcontroller_v1_ListInstanceActionsResponse, ListInstanceActionsResponse__Output as _virtcontroller_v1_ListInstanceActionsResponse__Output } from './virtcontroller/v1/ListInstanceActionsResponse';
import type { ListInstancesRequest as _virtcontroller_v1_ListInstancesRequest, ListInstancesRequest__Output as _virtcontroller_v1_ListInstancesRequest__Output } from './virtcontroller/v1/ListInstancesRequest';
import type { ListInstancesResponse as _virtcontroller_v1_ListInstancesResponse, ListInstancesResponse__Output as _virtcontroller_v1_ListInstancesResponse__Output } from './virtcontroller/v1/ListInstancesResponse';
import type { QuotaCounts as _virtcontroller_v1_QuotaCounts, QuotaCounts__Output as _virtcontroller_v1_QuotaCounts__Output } from './virtcontroller/v1/QuotaCounts';
import type { QuotaLimits as _virtcontroller_v1_QuotaLimits, QuotaLimits__Output as _virtcontroller_v1_QuotaLimits__Output } from './virtcontroller/v1/QuotaLimits';
import type { QuotaUsage as _virtcontroller_v1_QuotaUsage, QuotaUsage__Output as _virtcontroller_v1_QuotaUsage__Output } from './virtcontroller/v1/QuotaUsage';
import type { RegisterHostRequest as _virtcontroller_v1_RegisterHostRequest, RegisterHostRequest__Output as _virtcontroller_v1_RegisterHostRequest__Output } from './virtcontroller/v1/RegisterHostRequest';
import type { ResetVolumeStateRequest as _virtcontroller_v1_ResetVolumeStateRequest, ResetVolumeStateRequest__Output as _virtcontroller_v1_ResetVolumeStateRequest__Output } from './virtcontroller/v1/ResetVolumeStateRequest';
import type { RestoreInstanceRequest as _virtcontroller_v1_RestoreInstanceRequest, RestoreInstanceRequest__Output as _virtcontroller_v1_RestoreInstanceRequest__Output } from './virtcontroller/v1/RestoreInstanceRequest';
import type { SetHostDisabledRequest as _virtcontroller_v1_SetHostDisabledRequest, SetHostDisabledRequest__Output as _virtcontroller_v1_SetHostDisabledRequest__Output } from './virtcontroller/v1/SetHostDisabledRequest';
import type { StartInstanceRequest as _virtcontroller_v1_StartInstanceRequest, StartInstanceRequest__Output as _virtcontroller_v1_StartInstanceRequest__Output } from './virtcontroller/v1/StartInstanceRequest';
import type { StopInstanceRequest as _virtcontroller_v1_StopInstanceRequest, StopInstanceRequest__Output as _virtcontroller_v1_StopInstanceRequest__Output } from './virtcontroller/v1/StopInstanceRequest';
import type { Volume as _virtcontroller_v1_Volume, Volume__Output as _virtcontroller_v1_Volume__Output } from './virtcontroller/v1/Volume';
import type { VolumeSpec as _virtcontroller_v1_VolumeSpec, VolumeSpec__Output as _virtcontroller_v1_VolumeSpec__Output } from './virtcontroller/v1/VolumeSpec';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  virtcontroller: {
    v1: {
      AttachVolumeRequest: MessageTypeDefinition<_virtcontroller_v1_AttachVolumeRequest, _virtcontroller_v1_AttachVolumeRequest__Output>
      ConnectionInfo: MessageTypeDefinition<_virtcontroller_v1_ConnectionInfo, _virtcontroller_v1_ConnectionInfo__Output>
      /**
       * The controller: decides, and has each host's agent carry it out.
       */
      Controller: SubtypeConstructor<typeof grpc.Client, _virtcontroller_v1_ControllerClient> & { service: _virtcontroller_v1_ControllerDefinition }
      CreateInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_CreateInstanceRequest, _virtcontroller_v1_CreateInstanceRequest__Output>
      DeleteInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_DeleteInstanceRequest, _virtcontroller_v1_DeleteInstanceRequest__Output>
      DetachVolumeRequest: MessageTypeDefinition<_virtcontroller_v1_DetachVolumeRequest, _virtcontroller_v1_DetachVolumeRequest__Output>
      ForceDeleteInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_ForceDeleteInstanceRequest, _virtcontroller_v1_ForceDeleteInstanceRequest__Output>
      ForceDetachVolumeRequest: MessageTypeDefinition<_virtcontroller_v1_ForceDetachVolumeRequest, _virtcontroller_v1_ForceDetachVolumeRequest__Output>
      GetInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_GetInstanceRequest, _virtcontroller_v1_GetInstanceRequest__Output>
      GetQuotaUsageRequest: MessageTypeDefinition<_virtcontroller_v1_GetQuotaUsageRequest, _virtcontroller_v1_GetQuotaUsageRequest__Output>
      HeartbeatRequest: MessageTypeDefinition<_virtcontroller_v1_HeartbeatRequest, _virtcontroller_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_virtcontroller_v1_HeartbeatResponse, _virtcontroller_v1_HeartbeatResponse__Output>
      Host: MessageTypeDefinition<_virtcontroller_v1_Host, _virtcontroller_v1_Host__Output>
      HostState: EnumTypeDefinition
      Instance: MessageTypeDefinition<_virtcontroller_v1_Instance, _virtcontroller_v1_Instance__Output>
      InstanceAction: MessageTypeDefinition<_virtcontroller_v1_InstanceAction, _virtcontroller_v1_InstanceAction__Output>
      ListHostsRequest: MessageTypeDefinition<_virtcontroller_v1_ListHostsRequest, _virtcontroller_v1_ListHostsRequest__Output>
      ListHostsResponse: MessageTypeDefinition<_virtcontroller_v1_ListHostsResponse, _virtcontroller_v1_ListHostsResponse__Output>
      ListInstanceActionsRequest: MessageTypeDefinition<_virtcontroller_v1_ListInstanceActionsRequest, _virtcontroller_v1_ListInstanceActionsRequest__Output>
      ListInstanceActionsResponse: MessageTypeDefinition<_virtcontroller_v1_ListInstanceActionsResponse, _virtcontroller_v1_ListInstanceActionsResponse__Output>
      ListInstancesRequest: MessageTypeDefinition<_virtcontroller_v1_ListInstancesRequest, _virtcontroller_v1_ListInstancesRequest__Output>
      ListInstancesResponse: MessageTypeDefinition<_virtcontroller_v1_ListInstancesResponse, _virtcontroller_v1_ListInstancesResponse__Output>
      PowerState: EnumTypeDefinition
      QuotaCounts: MessageTypeDefinition<_virtcontroller_v1_QuotaCounts, _virtcontroller_v1_QuotaCounts__Output>
      QuotaLimits: MessageTypeDefinition<_virtcontroller_v1_QuotaLimits, _virtcontroller_v1_QuotaLimits__Output>
      QuotaUsage: MessageTypeDefinition<_virtcontroller_v1_QuotaUsage, _virtcontroller_v1_QuotaUsage__Output>
      RegisterHostRequest: MessageTypeDefinition<_virtcontroller_v1_RegisterHostRequest, _virtcontroller_v1_RegisterHostRequest__Output>
      ResetVolumeStateRequest: MessageTypeDefinition<_virtcontroller_v1_ResetVolumeStateRequest, _virtcontroller_v1_ResetVolumeStateRequest__Output>
      RestoreInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_RestoreInstanceRequest, _virtcontroller_v1_RestoreInstanceRequest__Output>
      SetHostDisabledRequest: MessageTypeDefinition<_virtcontroller_v1_SetHostDisabledRequest, _virtcontroller_v1_SetHostDisabledRequest__Output>
      StartInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_StartInstanceRequest, _virtcontroller_v1_StartInstanceRequest__Output>
      StopInstanceRequest: MessageTypeDefinition<_virtcontroller_v1_StopInstanceRequest, _virtcontroller_v1_StopInstanceRequest__Output>
      TaskState: EnumTypeDefinition
      VmState: EnumTypeDefinition
      Volume: MessageTypeDefinition<_virtcontroller_v1_Volume, _virtcontroller_v1_Volume__Output>
      VolumeSpec: MessageTypeDefinition<_virtcontroller_v1_VolumeSpec, _virtcontroller_v1_VolumeSpec__Output>
      VolumeStatus: EnumTypeDefinition
    }
  }
}

