// Original file: proto/virtcontroller/v1/controller.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AttachVolumeRequest as _virtcontroller_v1_AttachVolumeRequest, AttachVolumeRequest__Output as _virtcontroller_v1_AttachVolumeRequest__Output } from '../../virtcontroller/v1/AttachVolumeRequest';
import type { CreateInstanceRequest as _virtcontroller_v1_CreateInstanceRequest, CreateInstanceRequest__Output as _virtcontroller_v1_CreateInstanceRequest__Output } from '../../virtcontroller/v1/CreateInstanceRequest';
import type { DeleteInstanceRequest as _virtcontroller_v1_DeleteInstanceRequest, DeleteInstanceRequest__Output as _virtcontroller_v1_DeleteInstanceRequest__Output } from '../../virtcontroller/v1/DeleteInstanceRequest';
import type { DetachVolumeRequest as _virtcontroller_v1_DetachVolumeRequest, DetachVolumeRequest__Output as _virtcontroller_v1_DetachVolumeRequest__Output } from '../../virtcontroller/v1/DetachVolumeRequest';
import type { ForceDeleteInstanceRequest as _virtcontroller_v1_ForceDeleteInstanceRequest, ForceDeleteInstanceRequest__Output as _virtcontroller_v1_ForceDeleteInstanceRequest__Output } from '../../virtcontroller/v1/ForceDeleteInstanceRequest';
import type { ForceDetachVolumeRequest as _virtcontroller_v1_ForceDetachVolumeRequest, ForceDetachVolumeRequest__Output as _virtcontroller_v1_ForceDetachVolumeRequest__Output } from '../../virtcontroller/v1/ForceDetachVolumeRequest';
import type { GetInstanceRequest as _virtcontroller_v1_GetInstanceRequest, GetInstanceRequest__Output as _virtcontroller_v1_GetInstanceRequest__Output } from '../../virtcontroller/v1/GetInstanceRequest';
import type { GetQuotaUsageRequest as _virtcontroller_v1_GetQuotaUsageRequest, GetQuotaUsageRequest__Output as _virtcontroller_v1_GetQuotaUsageRequest__Output } from '../../virtcontroller/v1/GetQuotaUsageRequest';
import type { HeartbeatRequest as _virtcontroller_v1_HeartbeatRequest, HeartbeatRequest__Output as _virtcontroller_v1_HeartbeatRequest__Output } from '../../virtcontroller/v1/HeartbeatRequest';
import type { HeartbeatResponse as _virtcontroller_v1_HeartbeatResponse, HeartbeatResponse__Output as _virtcontroller_v1_HeartbeatResponse__Output } from '../../virtcontroller/v1/HeartbeatResponse';
import type { Host as _virtcontroller_v1_Host, Host__Output as _virtcontroller_v1_Host__Output } from '../../virtcontroller/v1/Host';
import type { Instance as _virtcontroller_v1_Instance, Instance__Output as _virtcontroller_v1_Instance__Output } from '../../virtcontroller/v1/Instance';
import type { ListHostsRequest as _virtcontroller_v1_ListHostsRequest, ListHostsRequest__Output as _virtcontroller_v1_ListHostsRequest__Output } from '../../virtcontroller/v1/ListHostsRequest';
import type { ListHostsResponse as _virtcontroller_v1_ListHostsResponse, ListHostsResponse__Output as _virtcontroller_v1_ListHostsResponse__Output } from '../../virtcontroller/v1/ListHostsResponse';
import type { ListInstanceActionsRequest as _virtcontroller_v1_ListInstanceActionsRequest, ListInstanceActionsRequest__Output as _virtcontroller_v1_ListInstanceActionsRequest__Output } from '../../virtcontroller/v1/ListInstanceActionsRequest';
import type { ListInstanceActionsResponse as _virtcontroller_v1_ListInstanceActionsResponse, ListInstanceActionsResponse__Output as _virtcontroller_v1_ListInstanceActionsResponse__Output } from '../../virtcontroller/v1/ListInstanceActionsResponse';
import type { ListInstancesRequest as _virtcontroller_v1_ListInstancesRequest, ListInstancesRequest__Output as _virtcontroller_v1_ListInstancesRequest__Output } from '../../virtcontroller/v1/ListInstancesRequest';
import type { ListInstancesResponse as _virtcontroller_v1_ListInstancesResponse, ListInstancesResponse__Output as _virtcontroller_v1_ListInstancesResponse__Output } from '../../virtcontroller/v1/ListInstancesResponse';
import type { QuotaUsage as _virtcontroller_v1_QuotaUsage, QuotaUsage__Output as _virtcontroller_v1_QuotaUsage__Output } from '../../virtcontroller/v1/QuotaUsage';
import type { RegisterHostRequest as _virtcontroller_v1_RegisterHostRequest, RegisterHostRequest__Output as _virtcontroller_v1_RegisterHostRequest__Output } from '../../virtcontroller/v1/RegisterHostRequest';
import type { ResetVolumeStateRequest as _virtcontroller_v1_ResetVolumeStateRequest, ResetVolumeStateRequest__Output as _virtcontroller_v1_ResetVolumeStateRequest__Output } from '../../virtcontroller/v1/ResetVolumeStateRequest';
import type { RestoreInstanceRequest as _virtcontroller_v1_RestoreInstanceRequest, RestoreInstanceRequest__Output as _virtcontroller_v1_RestoreInstanceRequest__Output } from '../../virtcontroller/v1/RestoreInstanceRequest';
import type { SetHostDisabledRequest as _virtcontroller_v1_SetHostDisabledRequest, SetHostDisabledRequest__Output as _virtcontroller_v1_SetHostDisabledRequest__Output } from '../../virtcontroller/v1/SetHostDisabledRequest';
import type { StartInstanceRequest as _virtcontroller_v1_StartInstanceRequest, StartInstanceRequest__Output as _virtcontroller_v1_StartInstanceRequest__Output } from '../../virtcontroller/v1/StartInstanceRequest';
import type { StopInstanceRequest as _virtcontroller_v1_StopInstanceRequest, StopInstanceRequest__Output as _virtcontroller_v1_StopInstanceRequest__Output } from '../../virtcontroller/v1/StopInstanceRequest';
import type { Volume as _virtcontroller_v1_Volume, Volume__Output as _virtcontroller_v1_Volume__Output } from '../../virtcontroller/v1/Volume';

/**
 * The controller: decides, and has each host's agent carry it out.
 */
export interface ControllerClient extends grpc.Client {
  /**
   * Records an attachment (the volume is already connected): status in-use.
   */
  AttachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  AttachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  AttachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  AttachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  /**
   * Records an attachment (the volume is already connected): status in-use.
   */
  attachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  attachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  attachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  attachVolume(argument: _virtcontroller_v1_AttachVolumeRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reserves quota, defines and starts the domain on `host` through its agent.
   * On failure the instance is left in VM_STATE_ERROR holding no quota and
   * the agent's error is returned.
   */
  CreateInstance(argument: _virtcontroller_v1_CreateInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  CreateInstance(argument: _virtcontroller_v1_CreateInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  CreateInstance(argument: _virtcontroller_v1_CreateInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  CreateInstance(argument: _virtcontroller_v1_CreateInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * Reserves quota, defines and starts the domain on `host` through its agent.
   * On failure the instance is left in VM_STATE_ERROR holding no quota and
   * the agent's error is returned.
   */
  createInstance(argument: _virtcontroller_v1_CreateInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _virtcontroller_v1_CreateInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _virtcontroller_v1_CreateInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _virtcontroller_v1_CreateInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  /**
   * Soft delete (power off, keep the domain, release quota) when the reclaim
   * interval is > 0 and the instance ran (active, stopped, or in error after
   * it ran); else a hard delete (destroy with disks). A soft-deleted
   * instance, or one whose create failed, is hard deleted. A delete while
   * another delete runs, or of a deleted instance, returns it as it is.
   * Host down, or no answer through the retries: the soft delete is done in
   * the records (quota released) with pending_power_off set; the power-off
   * runs when the host is back. Only a hard delete is done in the records
   * on a down host (needs_host_cleanup). An agent error leaves the instance
   * as it was (a failed hard delete: VM_STATE_ERROR; from SOFT_DELETED it
   * stays soft deleted); it can always be deleted again.
   */
  DeleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  DeleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  DeleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  DeleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * Soft delete (power off, keep the domain, release quota) when the reclaim
   * interval is > 0 and the instance ran (active, stopped, or in error after
   * it ran); else a hard delete (destroy with disks). A soft-deleted
   * instance, or one whose create failed, is hard deleted. A delete while
   * another delete runs, or of a deleted instance, returns it as it is.
   * Host down, or no answer through the retries: the soft delete is done in
   * the records (quota released) with pending_power_off set; the power-off
   * runs when the host is back. Only a hard delete is done in the records
   * on a down host (needs_host_cleanup). An agent error leaves the instance
   * as it was (a failed hard delete: VM_STATE_ERROR; from SOFT_DELETED it
   * stays soft deleted); it can always be deleted again.
   */
  deleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _virtcontroller_v1_DeleteInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  /**
   * From in-use or error_detaching: detaching -> agent DisconnectVolume ->
   * available once the agent confirmed. Host down, the instance's power-off
   * still pending, or no answer: the answer is VOLUME_STATUS_DETACHING with
   * detach_pending set, and the detach runs when the host is back. An agent
   * error rolls back to in-use when the guest still holds the device, else
   * error_detaching; the error is returned and the detach may be retried.
   */
  DetachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  DetachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  DetachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  DetachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  /**
   * From in-use or error_detaching: detaching -> agent DisconnectVolume ->
   * available once the agent confirmed. Host down, the instance's power-off
   * still pending, or no answer: the answer is VOLUME_STATUS_DETACHING with
   * detach_pending set, and the detach runs when the host is back. An agent
   * error rolls back to in-use when the guest still holds the device, else
   * error_detaching; the error is returned and the detach may be retried.
   */
  detachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  detachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  detachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  detachVolume(argument: _virtcontroller_v1_DetachVolumeRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  
  /**
   * Hard delete now: destroy the domain with its disks, detach its volumes.
   * Done in the records on a down host. See ForceDeleteInstanceRequest.force.
   */
  ForceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  ForceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  ForceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  ForceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * Hard delete now: destroy the domain with its disks, detach its volumes.
   * Done in the records on a down host. See ForceDeleteInstanceRequest.force.
   */
  forceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  forceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  forceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  forceDeleteInstance(argument: _virtcontroller_v1_ForceDeleteInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  /**
   * Administrator (Cinder's os-force_detach): the host-side disconnect
   * (DisconnectVolume without a domain, ignore_errors: its failures come back
   * in warnings), then available. The guest is not asked to release the
   * device. UNAVAILABLE (nothing changed) while the host is down. Recorded in
   * the instance's action log.
   */
  ForceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  ForceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  ForceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  ForceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  /**
   * Administrator (Cinder's os-force_detach): the host-side disconnect
   * (DisconnectVolume without a domain, ignore_errors: its failures come back
   * in warnings), then available. The guest is not asked to release the
   * device. UNAVAILABLE (nothing changed) while the host is down. Recorded in
   * the instance's action log.
   */
  forceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  forceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  forceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  forceDetachVolume(argument: _virtcontroller_v1_ForceDetachVolumeRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  
  /**
   * Also answers for deleted instances (vm_state VM_STATE_DELETED).
   */
  GetInstance(argument: _virtcontroller_v1_GetInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  GetInstance(argument: _virtcontroller_v1_GetInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  GetInstance(argument: _virtcontroller_v1_GetInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  GetInstance(argument: _virtcontroller_v1_GetInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * Also answers for deleted instances (vm_state VM_STATE_DELETED).
   */
  getInstance(argument: _virtcontroller_v1_GetInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _virtcontroller_v1_GetInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _virtcontroller_v1_GetInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _virtcontroller_v1_GetInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  /**
   * A project's quota limits and what its instances hold now.
   */
  GetQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  GetQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  GetQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  GetQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  /**
   * A project's quota limits and what its instances hold now.
   */
  getQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  getQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  getQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  getQuotaUsage(argument: _virtcontroller_v1_GetQuotaUsageRequest, callback: grpc.requestCallback<_virtcontroller_v1_QuotaUsage__Output>): grpc.ClientUnaryCall;
  
  /**
   * An agent's periodic sign of life (every report_interval_seconds): counts as a successful
   * contact for host liveness (down after service_down_seconds without one). NOT_FOUND when the
   * host is not registered: the agent registers again. Over mutual TLS the client certificate
   * must name the host, as for RegisterHost.
   */
  Heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  /**
   * An agent's periodic sign of life (every report_interval_seconds): counts as a successful
   * contact for host liveness (down after service_down_seconds without one). NOT_FOUND when the
   * host is not registered: the agent registers again. Over mutual TLS the client certificate
   * must name the host, as for RegisterHost.
   */
  heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _virtcontroller_v1_HeartbeatRequest, callback: grpc.requestCallback<_virtcontroller_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every host the controller knows (registered or configured with --agent), with its liveness
   * state, last heartbeat, whether it is disabled and how many instances it holds — like
   * `openstack compute service list`.
   */
  ListHosts(argument: _virtcontroller_v1_ListHostsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  ListHosts(argument: _virtcontroller_v1_ListHostsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  ListHosts(argument: _virtcontroller_v1_ListHostsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  ListHosts(argument: _virtcontroller_v1_ListHostsRequest, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every host the controller knows (registered or configured with --agent), with its liveness
   * state, last heartbeat, whether it is disabled and how many instances it holds — like
   * `openstack compute service list`.
   */
  listHosts(argument: _virtcontroller_v1_ListHostsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _virtcontroller_v1_ListHostsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _virtcontroller_v1_ListHostsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _virtcontroller_v1_ListHostsRequest, callback: grpc.requestCallback<_virtcontroller_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The action log of one instance (also of a deleted one), oldest first.
   */
  ListInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  ListInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  ListInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  ListInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The action log of one instance (also of a deleted one), oldest first.
   */
  listInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  listInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  listInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  listInstanceActions(argument: _virtcontroller_v1_ListInstanceActionsRequest, callback: grpc.requestCallback<_virtcontroller_v1_ListInstanceActionsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deleted instances are only listed when vm_state = VM_STATE_DELETED is asked for.
   */
  ListInstances(argument: _virtcontroller_v1_ListInstancesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _virtcontroller_v1_ListInstancesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _virtcontroller_v1_ListInstancesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _virtcontroller_v1_ListInstancesRequest, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deleted instances are only listed when vm_state = VM_STATE_DELETED is asked for.
   */
  listInstances(argument: _virtcontroller_v1_ListInstancesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _virtcontroller_v1_ListInstancesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _virtcontroller_v1_ListInstancesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _virtcontroller_v1_ListInstancesRequest, callback: grpc.requestCallback<_virtcontroller_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * An agent announces its host (agent flag --controller): name, address it serves on, libvirt
   * URI and version, capacity. Creates or updates the host's record (an agent restarted on a new
   * address re-registers); the controller then calls the agent there. Idempotent. Over mutual
   * TLS the client certificate must name the host (CN or DNS subjectAltName), else
   * PERMISSION_DENIED.
   */
  RegisterHost(argument: _virtcontroller_v1_RegisterHostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  RegisterHost(argument: _virtcontroller_v1_RegisterHostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  RegisterHost(argument: _virtcontroller_v1_RegisterHostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  RegisterHost(argument: _virtcontroller_v1_RegisterHostRequest, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  /**
   * An agent announces its host (agent flag --controller): name, address it serves on, libvirt
   * URI and version, capacity. Creates or updates the host's record (an agent restarted on a new
   * address re-registers); the controller then calls the agent there. Idempotent. Over mutual
   * TLS the client certificate must name the host (CN or DNS subjectAltName), else
   * PERMISSION_DENIED.
   */
  registerHost(argument: _virtcontroller_v1_RegisterHostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  registerHost(argument: _virtcontroller_v1_RegisterHostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  registerHost(argument: _virtcontroller_v1_RegisterHostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  registerHost(argument: _virtcontroller_v1_RegisterHostRequest, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  
  /**
   * Administrator (Cinder's os-reset_status): sets the status in the records
   * only, nothing is sent to a host. VOLUME_STATUS_AVAILABLE also ends the
   * attachment record; IN_USE and ERROR_DETACHING need one. Recorded in the
   * instance's action log.
   */
  ResetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  ResetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  ResetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  ResetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  /**
   * Administrator (Cinder's os-reset_status): sets the status in the records
   * only, nothing is sent to a host. VOLUME_STATUS_AVAILABLE also ends the
   * attachment record; IN_USE and ERROR_DETACHING need one. Recorded in the
   * instance's action log.
   */
  resetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  resetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  resetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  resetVolumeState(argument: _virtcontroller_v1_ResetVolumeStateRequest, callback: grpc.requestCallback<_virtcontroller_v1_Volume__Output>): grpc.ClientUnaryCall;
  
  /**
   * Only from VM_STATE_SOFT_DELETED with no task and its host up (else
   * UNAVAILABLE naming the host, nothing changed); re-reserves the quota,
   * does a pending power-off first, then the agent's PowerOn. On failure the
   * instance is soft deleted again with no task and its quota released.
   */
  RestoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  RestoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  RestoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  RestoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * Only from VM_STATE_SOFT_DELETED with no task and its host up (else
   * UNAVAILABLE naming the host, nothing changed); re-reserves the quota,
   * does a pending power-off first, then the agent's PowerOn. On failure the
   * instance is soft deleted again with no task and its quota released.
   */
  restoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  restoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  restoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  restoreInstance(argument: _virtcontroller_v1_RestoreInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  /**
   * Disables (no new instances are created on it) or enables a host; everything else on it goes on
   * as before. Recorded with the reason.
   */
  SetHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  SetHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  SetHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  SetHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  /**
   * Disables (no new instances are created on it) or enables a host; everything else on it goes on
   * as before. Recorded with the reason.
   */
  setHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  setHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  setHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  setHostDisabled(argument: _virtcontroller_v1_SetHostDisabledRequest, callback: grpc.requestCallback<_virtcontroller_v1_Host__Output>): grpc.ClientUnaryCall;
  
  /**
   * stopped -> active: the agent's PowerOn (connecting the instance's volumes first).
   * Needs the host: UNAVAILABLE (nothing changed) while it is down.
   */
  StartInstance(argument: _virtcontroller_v1_StartInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  StartInstance(argument: _virtcontroller_v1_StartInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  StartInstance(argument: _virtcontroller_v1_StartInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  StartInstance(argument: _virtcontroller_v1_StartInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * stopped -> active: the agent's PowerOn (connecting the instance's volumes first).
   * Needs the host: UNAVAILABLE (nothing changed) while it is down.
   */
  startInstance(argument: _virtcontroller_v1_StartInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  startInstance(argument: _virtcontroller_v1_StartInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  startInstance(argument: _virtcontroller_v1_StartInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  startInstance(argument: _virtcontroller_v1_StartInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  /**
   * active -> stopped: the agent's PowerOff with the clean-shutdown budget, then a destroy.
   * Needs the host: UNAVAILABLE (nothing changed) while it is down.
   */
  StopInstance(argument: _virtcontroller_v1_StopInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  StopInstance(argument: _virtcontroller_v1_StopInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  StopInstance(argument: _virtcontroller_v1_StopInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  StopInstance(argument: _virtcontroller_v1_StopInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  /**
   * active -> stopped: the agent's PowerOff with the clean-shutdown budget, then a destroy.
   * Needs the host: UNAVAILABLE (nothing changed) while it is down.
   */
  stopInstance(argument: _virtcontroller_v1_StopInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  stopInstance(argument: _virtcontroller_v1_StopInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  stopInstance(argument: _virtcontroller_v1_StopInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  stopInstance(argument: _virtcontroller_v1_StopInstanceRequest, callback: grpc.requestCallback<_virtcontroller_v1_Instance__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The controller: decides, and has each host's agent carry it out.
 */
export interface ControllerHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Records an attachment (the volume is already connected): status in-use.
   */
  AttachVolume: grpc.handleUnaryCall<_virtcontroller_v1_AttachVolumeRequest__Output, _virtcontroller_v1_Volume>;
  
  /**
   * Reserves quota, defines and starts the domain on `host` through its agent.
   * On failure the instance is left in VM_STATE_ERROR holding no quota and
   * the agent's error is returned.
   */
  CreateInstance: grpc.handleUnaryCall<_virtcontroller_v1_CreateInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
  /**
   * Soft delete (power off, keep the domain, release quota) when the reclaim
   * interval is > 0 and the instance ran (active, stopped, or in error after
   * it ran); else a hard delete (destroy with disks). A soft-deleted
   * instance, or one whose create failed, is hard deleted. A delete while
   * another delete runs, or of a deleted instance, returns it as it is.
   * Host down, or no answer through the retries: the soft delete is done in
   * the records (quota released) with pending_power_off set; the power-off
   * runs when the host is back. Only a hard delete is done in the records
   * on a down host (needs_host_cleanup). An agent error leaves the instance
   * as it was (a failed hard delete: VM_STATE_ERROR; from SOFT_DELETED it
   * stays soft deleted); it can always be deleted again.
   */
  DeleteInstance: grpc.handleUnaryCall<_virtcontroller_v1_DeleteInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
  /**
   * From in-use or error_detaching: detaching -> agent DisconnectVolume ->
   * available once the agent confirmed. Host down, the instance's power-off
   * still pending, or no answer: the answer is VOLUME_STATUS_DETACHING with
   * detach_pending set, and the detach runs when the host is back. An agent
   * error rolls back to in-use when the guest still holds the device, else
   * error_detaching; the error is returned and the detach may be retried.
   */
  DetachVolume: grpc.handleUnaryCall<_virtcontroller_v1_DetachVolumeRequest__Output, _virtcontroller_v1_Volume>;
  
  /**
   * Hard delete now: destroy the domain with its disks, detach its volumes.
   * Done in the records on a down host. See ForceDeleteInstanceRequest.force.
   */
  ForceDeleteInstance: grpc.handleUnaryCall<_virtcontroller_v1_ForceDeleteInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
  /**
   * Administrator (Cinder's os-force_detach): the host-side disconnect
   * (DisconnectVolume without a domain, ignore_errors: its failures come back
   * in warnings), then available. The guest is not asked to release the
   * device. UNAVAILABLE (nothing changed) while the host is down. Recorded in
   * the instance's action log.
   */
  ForceDetachVolume: grpc.handleUnaryCall<_virtcontroller_v1_ForceDetachVolumeRequest__Output, _virtcontroller_v1_Volume>;
  
  /**
   * Also answers for deleted instances (vm_state VM_STATE_DELETED).
   */
  GetInstance: grpc.handleUnaryCall<_virtcontroller_v1_GetInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
  /**
   * A project's quota limits and what its instances hold now.
   */
  GetQuotaUsage: grpc.handleUnaryCall<_virtcontroller_v1_GetQuotaUsageRequest__Output, _virtcontroller_v1_QuotaUsage>;
  
  /**
   * An agent's periodic sign of life (every report_interval_seconds): counts as a successful
   * contact for host liveness (down after service_down_seconds without one). NOT_FOUND when the
   * host is not registered: the agent registers again. Over mutual TLS the client certificate
   * must name the host, as for RegisterHost.
   */
  Heartbeat: grpc.handleUnaryCall<_virtcontroller_v1_HeartbeatRequest__Output, _virtcontroller_v1_HeartbeatResponse>;
  
  /**
   * Every host the controller knows (registered or configured with --agent), with its liveness
   * state, last heartbeat, whether it is disabled and how many instances it holds — like
   * `openstack compute service list`.
   */
  ListHosts: grpc.handleUnaryCall<_virtcontroller_v1_ListHostsRequest__Output, _virtcontroller_v1_ListHostsResponse>;
  
  /**
   * The action log of one instance (also of a deleted one), oldest first.
   */
  ListInstanceActions: grpc.handleUnaryCall<_virtcontroller_v1_ListInstanceActionsRequest__Output, _virtcontroller_v1_ListInstanceActionsResponse>;
  
  /**
   * Deleted instances are only listed when vm_state = VM_STATE_DELETED is asked for.
   */
  ListInstances: grpc.handleUnaryCall<_virtcontroller_v1_ListInstancesRequest__Output, _virtcontroller_v1_ListInstancesResponse>;
  
  /**
   * An agent announces its host (agent flag --controller): name, address it serves on, libvirt
   * URI and version, capacity. Creates or updates the host's record (an agent restarted on a new
   * address re-registers); the controller then calls the agent there. Idempotent. Over mutual
   * TLS the client certificate must name the host (CN or DNS subjectAltName), else
   * PERMISSION_DENIED.
   */
  RegisterHost: grpc.handleUnaryCall<_virtcontroller_v1_RegisterHostRequest__Output, _virtcontroller_v1_Host>;
  
  /**
   * Administrator (Cinder's os-reset_status): sets the status in the records
   * only, nothing is sent to a host. VOLUME_STATUS_AVAILABLE also ends the
   * attachment record; IN_USE and ERROR_DETACHING need one. Recorded in the
   * instance's action log.
   */
  ResetVolumeState: grpc.handleUnaryCall<_virtcontroller_v1_ResetVolumeStateRequest__Output, _virtcontroller_v1_Volume>;
  
  /**
   * Only from VM_STATE_SOFT_DELETED with no task and its host up (else
   * UNAVAILABLE naming the host, nothing changed); re-reserves the quota,
   * does a pending power-off first, then the agent's PowerOn. On failure the
   * instance is soft deleted again with no task and its quota released.
   */
  RestoreInstance: grpc.handleUnaryCall<_virtcontroller_v1_RestoreInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
  /**
   * Disables (no new instances are created on it) or enables a host; everything else on it goes on
   * as before. Recorded with the reason.
   */
  SetHostDisabled: grpc.handleUnaryCall<_virtcontroller_v1_SetHostDisabledRequest__Output, _virtcontroller_v1_Host>;
  
  /**
   * stopped -> active: the agent's PowerOn (connecting the instance's volumes first).
   * Needs the host: UNAVAILABLE (nothing changed) while it is down.
   */
  StartInstance: grpc.handleUnaryCall<_virtcontroller_v1_StartInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
  /**
   * active -> stopped: the agent's PowerOff with the clean-shutdown budget, then a destroy.
   * Needs the host: UNAVAILABLE (nothing changed) while it is down.
   */
  StopInstance: grpc.handleUnaryCall<_virtcontroller_v1_StopInstanceRequest__Output, _virtcontroller_v1_Instance>;
  
}

export interface ControllerDefinition extends grpc.ServiceDefinition {
  AttachVolume: MethodDefinition<_virtcontroller_v1_AttachVolumeRequest, _virtcontroller_v1_Volume, _virtcontroller_v1_AttachVolumeRequest__Output, _virtcontroller_v1_Volume__Output>
  CreateInstance: MethodDefinition<_virtcontroller_v1_CreateInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_CreateInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
  DeleteInstance: MethodDefinition<_virtcontroller_v1_DeleteInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_DeleteInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
  DetachVolume: MethodDefinition<_virtcontroller_v1_DetachVolumeRequest, _virtcontroller_v1_Volume, _virtcontroller_v1_DetachVolumeRequest__Output, _virtcontroller_v1_Volume__Output>
  ForceDeleteInstance: MethodDefinition<_virtcontroller_v1_ForceDeleteInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_ForceDeleteInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
  ForceDetachVolume: MethodDefinition<_virtcontroller_v1_ForceDetachVolumeRequest, _virtcontroller_v1_Volume, _virtcontroller_v1_ForceDetachVolumeRequest__Output, _virtcontroller_v1_Volume__Output>
  GetInstance: MethodDefinition<_virtcontroller_v1_GetInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_GetInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
  GetQuotaUsage: MethodDefinition<_virtcontroller_v1_GetQuotaUsageRequest, _virtcontroller_v1_QuotaUsage, _virtcontroller_v1_GetQuotaUsageRequest__Output, _virtcontroller_v1_QuotaUsage__Output>
  Heartbeat: MethodDefinition<_virtcontroller_v1_HeartbeatRequest, _virtcontroller_v1_HeartbeatResponse, _virtcontroller_v1_HeartbeatRequest__Output, _virtcontroller_v1_HeartbeatResponse__Output>
  ListHosts: MethodDefinition<_virtcontroller_v1_ListHostsRequest, _virtcontroller_v1_ListHostsResponse, _virtcontroller_v1_ListHostsRequest__Output, _virtcontroller_v1_ListHostsResponse__Output>
  ListInstanceActions: MethodDefinition<_virtcontroller_v1_ListInstanceActionsRequest, _virtcontroller_v1_ListInstanceActionsResponse, _virtcontroller_v1_ListInstanceActionsRequest__Output, _virtcontroller_v1_ListInstanceActionsResponse__Output>
  ListInstances: MethodDefinition<_virtcontroller_v1_ListInstancesRequest, _virtcontroller_v1_ListInstancesResponse, _virtcontroller_v1_ListInstancesRequest__Output, _virtcontroller_v1_ListInstancesResponse__Output>
  RegisterHost: MethodDefinition<_virtcontroller_v1_RegisterHostRequest, _virtcontroller_v1_Host, _virtcontroller_v1_RegisterHostRequest__Output, _virtcontroller_v1_Host__Output>
  ResetVolumeState: MethodDefinition<_virtcontroller_v1_ResetVolumeStateRequest, _virtcontroller_v1_Volume, _virtcontroller_v1_ResetVolumeStateRequest__Output, _virtcontroller_v1_Volume__Output>
  RestoreInstance: MethodDefinition<_virtcontroller_v1_RestoreInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_RestoreInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
  SetHostDisabled: MethodDefinition<_virtcontroller_v1_SetHostDisabledRequest, _virtcontroller_v1_Host, _virtcontroller_v1_SetHostDisabledRequest__Output, _virtcontroller_v1_Host__Output>
  StartInstance: MethodDefinition<_virtcontroller_v1_StartInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_StartInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
  StopInstance: MethodDefinition<_virtcontroller_v1_StopInstanceRequest, _virtcontroller_v1_Instance, _virtcontroller_v1_StopInstanceRequest__Output, _virtcontroller_v1_Instance__Output>
}
