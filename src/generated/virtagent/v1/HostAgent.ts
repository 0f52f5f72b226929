// Original file: proto/virtagent/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ConnectVolumeRequest as _virtagent_v1_ConnectVolumeRequest, ConnectVolumeRequest__Output as _virtagent_v1_ConnectVolumeRequest__Output } from '../../virtagent/v1/ConnectVolumeRequest';
import type { ConnectVolumeResponse as _virtagent_v1_ConnectVolumeResponse, ConnectVolumeResponse__Output as _virtagent_v1_ConnectVolumeResponse__Output } from '../../virtagent/v1/ConnectVolumeResponse';
import type { DefineDomainRequest as _virtagent_v1_DefineDomainRequest, DefineDomainRequest__Output as _virtagent_v1_DefineDomainRequest__Output } from '../../virtagent/v1/DefineDomainRequest';
import type { DestroyRequest as _virtagent_v1_DestroyRequest, DestroyRequest__Output as _virtagent_v1_DestroyRequest__Output } from '../../virtagent/v1/DestroyRequest';
import type { DestroyResponse as _virtagent_v1_DestroyResponse, DestroyResponse__Output as _virtagent_v1_DestroyResponse__Output } from '../../virtagent/v1/DestroyResponse';
import type { DisconnectVolumeRequest as _virtagent_v1_DisconnectVolumeRequest, DisconnectVolumeRequest__Output as _virtagent_v1_DisconnectVolumeRequest__Output } from '../../virtagent/v1/DisconnectVolumeRequest';
import type { DisconnectVolumeResponse as _virtagent_v1_DisconnectVolumeResponse, DisconnectVolumeResponse__Output as _virtagent_v1_DisconnectVolumeResponse__Output } from '../../virtagent/v1/DisconnectVolumeResponse';
import type { Domain as _virtagent_v1_Domain, Domain__Output as _virtagent_v1_Domain__Output } from '../../virtagent/v1/Domain';
import type { Event as _virtagent_v1_Event, Event__Output as _virtagent_v1_Event__Output } from '../../virtagent/v1/Event';
import type { GetDomainRequest as _virtagent_v1_GetDomainRequest, GetDomainRequest__Output as _virtagent_v1_GetDomainRequest__Output } from '../../virtagent/v1/GetDomainRequest';
import type { GetHostInfoRequest as _virtagent_v1_GetHostInfoRequest, GetHostInfoRequest__Output as _virtagent_v1_GetHostInfoRequest__Output } from '../../virtagent/v1/GetHostInfoRequest';
import type { HardRebootRequest as _virtagent_v1_HardRebootRequest, HardRebootRequest__Output as _virtagent_v1_HardRebootRequest__Output } from '../../virtagent/v1/HardRebootRequest';
import type { HostInfo as _virtagent_v1_HostInfo, HostInfo__Output as _virtagent_v1_HostInfo__Output } from '../../virtagent/v1/HostInfo';
import type { ListDomainsRequest as _virtagent_v1_ListDomainsRequest, ListDomainsRequest__Output as _virtagent_v1_ListDomainsRequest__Output } from '../../virtagent/v1/ListDomainsRequest';
import type { ListDomainsResponse as _virtagent_v1_ListDomainsResponse, ListDomainsResponse__Output as _virtagent_v1_ListDomainsResponse__Output } from '../../virtagent/v1/ListDomainsResponse';
import type { PowerOffRequest as _virtagent_v1_PowerOffRequest, PowerOffRequest__Output as _virtagent_v1_PowerOffRequest__Output } from '../../virtagent/v1/PowerOffRequest';
import type { PowerOffResponse as _virtagent_v1_PowerOffResponse, PowerOffResponse__Output as _virtagent_v1_PowerOffResponse__Output } from '../../virtagent/v1/PowerOffResponse';
import type { PowerOnRequest as _virtagent_v1_PowerOnRequest, PowerOnRequest__Output as _virtagent_v1_PowerOnRequest__Output } from '../../virtagent/v1/PowerOnRequest';
import type { PowerOnResponse as _virtagent_v1_PowerOnResponse, PowerOnResponse__Output as _virtagent_v1_PowerOnResponse__Output } from '../../virtagent/v1/PowerOnResponse';
import type { WatchEventsRequest as _virtagent_v1_WatchEventsRequest, WatchEventsRequest__Output as _virtagent_v1_WatchEventsRequest__Output } from '../../virtagent/v1/WatchEventsRequest';

/**
 * The agent of one compute host. Every operation on a domain is idempotent
 * (destroying what is gone is success) and runs one at a time per domain, in
 * arrival order; reads answer at once.
 */
export interface HostAgentClient extends grpc.Client {
  /**
   * Make a volume available on this host (iSCSI login + device + multipath map, krbd map, NFS mount,
   * local check) and answer its device path.
   */
  ConnectVolume(argument: _virtagent_v1_ConnectVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  ConnectVolume(argument: _virtagent_v1_ConnectVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  ConnectVolume(argument: _virtagent_v1_ConnectVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  ConnectVolume(argument: _virtagent_v1_ConnectVolumeRequest, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Make a volume available on this host (iSCSI login + device + multipath map, krbd map, NFS mount,
   * local check) and answer its device path.
   */
  connectVolume(argument: _virtagent_v1_ConnectVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  connectVolume(argument: _virtagent_v1_ConnectVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  connectVolume(argument: _virtagent_v1_ConnectVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  connectVolume(argument: _virtagent_v1_ConnectVolumeRequest, callback: grpc.requestCallback<_virtagent_v1_ConnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Define a persistent domain from XML (or create a transient one), optionally start it.
   */
  DefineDomain(argument: _virtagent_v1_DefineDomainRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  DefineDomain(argument: _virtagent_v1_DefineDomainRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  DefineDomain(argument: _virtagent_v1_DefineDomainRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  DefineDomain(argument: _virtagent_v1_DefineDomainRequest, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  /**
   * Define a persistent domain from XML (or create a transient one), optionally start it.
   */
  defineDomain(argument: _virtagent_v1_DefineDomainRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  defineDomain(argument: _virtagent_v1_DefineDomainRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  defineDomain(argument: _virtagent_v1_DefineDomainRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  defineDomain(argument: _virtagent_v1_DefineDomainRequest, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  
  /**
   * Destroy, disconnect volumes, remove the instance's own disks (the ownership rule), undefine with
   * managed-save/NVRAM/snapshot metadata. A domain libvirt does not know is still cleaned up after.
   */
  Destroy(argument: _virtagent_v1_DestroyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  Destroy(argument: _virtagent_v1_DestroyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  Destroy(argument: _virtagent_v1_DestroyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  Destroy(argument: _virtagent_v1_DestroyRequest, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Destroy, disconnect volumes, remove the instance's own disks (the ownership rule), undefine with
   * managed-save/NVRAM/snapshot metadata. A domain libvirt does not know is still cleaned up after.
   */
  destroy(argument: _virtagent_v1_DestroyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  destroy(argument: _virtagent_v1_DestroyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  destroy(argument: _virtagent_v1_DestroyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  destroy(argument: _virtagent_v1_DestroyRequest, callback: grpc.requestCallback<_virtagent_v1_DestroyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Detach a volume from the guest (waiting for the guest to release it) and tear down the host connection.
   */
  DisconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  DisconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  DisconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  DisconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Detach a volume from the guest (waiting for the guest to release it) and tear down the host connection.
   */
  disconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  disconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  disconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  disconnectVolume(argument: _virtagent_v1_DisconnectVolumeRequest, callback: grpc.requestCallback<_virtagent_v1_DisconnectVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One domain's state, persistence, managed-save image and disks; NOT_FOUND when libvirt has none.
   */
  GetDomain(argument: _virtagent_v1_GetDomainRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  GetDomain(argument: _virtagent_v1_GetDomainRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  GetDomain(argument: _virtagent_v1_GetDomainRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  GetDomain(argument: _virtagent_v1_GetDomainRequest, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  /**
   * One domain's state, persistence, managed-save image and disks; NOT_FOUND when libvirt has none.
   */
  getDomain(argument: _virtagent_v1_GetDomainRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  getDomain(argument: _virtagent_v1_GetDomainRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  getDomain(argument: _virtagent_v1_GetDomainRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  getDomain(argument: _virtagent_v1_GetDomainRequest, callback: grpc.requestCallback<_virtagent_v1_Domain__Output>): grpc.ClientUnaryCall;
  
  /**
   * Host name, libvirt and hypervisor versions, connection URI, and whether libvirt answers.
   * Answers even while libvirt is stalled (from the last known host name and version).
   */
  GetHostInfo(argument: _virtagent_v1_GetHostInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  GetHostInfo(argument: _virtagent_v1_GetHostInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  GetHostInfo(argument: _virtagent_v1_GetHostInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  GetHostInfo(argument: _virtagent_v1_GetHostInfoRequest, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Host name, libvirt and hypervisor versions, connection URI, and whether libvirt answers.
   * Answers even while libvirt is stalled (from the last known host name and version).
   */
  getHostInfo(argument: _virtagent_v1_GetHostInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  getHostInfo(argument: _virtagent_v1_GetHostInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  getHostInfo(argument: _virtagent_v1_GetHostInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  getHostInfo(argument: _virtagent_v1_GetHostInfoRequest, callback: grpc.requestCallback<_virtagent_v1_HostInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Destroy (if running) and start again from the persistent definition, connecting its volumes first.
   */
  HardReboot(argument: _virtagent_v1_HardRebootRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  HardReboot(argument: _virtagent_v1_HardRebootRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  HardReboot(argument: _virtagent_v1_HardRebootRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  HardReboot(argument: _virtagent_v1_HardRebootRequest, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Destroy (if running) and start again from the persistent definition, connecting its volumes first.
   */
  hardReboot(argument: _virtagent_v1_HardRebootRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  hardReboot(argument: _virtagent_v1_HardRebootRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  hardReboot(argument: _virtagent_v1_HardRebootRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  hardReboot(argument: _virtagent_v1_HardRebootRequest, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every domain libvirt knows (running and defined); one undefined while being read is left out.
   */
  ListDomains(argument: _virtagent_v1_ListDomainsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  ListDomains(argument: _virtagent_v1_ListDomainsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  ListDomains(argument: _virtagent_v1_ListDomainsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  ListDomains(argument: _virtagent_v1_ListDomainsRequest, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every domain libvirt knows (running and defined); one undefined while being read is left out.
   */
  listDomains(argument: _virtagent_v1_ListDomainsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  listDomains(argument: _virtagent_v1_ListDomainsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  listDomains(argument: _virtagent_v1_ListDomainsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  listDomains(argument: _virtagent_v1_ListDomainsRequest, callback: grpc.requestCallback<_virtagent_v1_ListDomainsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Clean shutdown with re-sent requests, then destroy when the timeout passes.
   */
  PowerOff(argument: _virtagent_v1_PowerOffRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  PowerOff(argument: _virtagent_v1_PowerOffRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  PowerOff(argument: _virtagent_v1_PowerOffRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  PowerOff(argument: _virtagent_v1_PowerOffRequest, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Clean shutdown with re-sent requests, then destroy when the timeout passes.
   */
  powerOff(argument: _virtagent_v1_PowerOffRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  powerOff(argument: _virtagent_v1_PowerOffRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  powerOff(argument: _virtagent_v1_PowerOffRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  powerOff(argument: _virtagent_v1_PowerOffRequest, callback: grpc.requestCallback<_virtagent_v1_PowerOffResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Start a stopped domain (restore), connecting its volumes first; a running domain is left alone.
   */
  PowerOn(argument: _virtagent_v1_PowerOnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  PowerOn(argument: _virtagent_v1_PowerOnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  PowerOn(argument: _virtagent_v1_PowerOnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  PowerOn(argument: _virtagent_v1_PowerOnRequest, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Start a stopped domain (restore), connecting its volumes first; a running domain is left alone.
   */
  powerOn(argument: _virtagent_v1_PowerOnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  powerOn(argument: _virtagent_v1_PowerOnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  powerOn(argument: _virtagent_v1_PowerOnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  powerOn(argument: _virtagent_v1_PowerOnRequest, callback: grpc.requestCallback<_virtagent_v1_PowerOnResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Lifecycle and device events as libvirt reports them, until the client cancels.
   * A client more than the agent's watchEvents.maxBuffered (default 1000) events behind
   * is ended with RESOURCE_EXHAUSTED.
   */
  WatchEvents(argument: _virtagent_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtagent_v1_Event__Output>;
  WatchEvents(argument: _virtagent_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtagent_v1_Event__Output>;
  /**
   * Lifecycle and device events as libvirt reports them, until the client cancels.
   * A client more than the agent's watchEvents.maxBuffered (default 1000) events behind
   * is ended with RESOURCE_EXHAUSTED.
   */
  watchEvents(argument: _virtagent_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtagent_v1_Event__Output>;
  watchEvents(argument: _virtagent_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_virtagent_v1_Event__Output>;
  
}

/**
 * The agent of one compute host. Every operation on a domain is idempotent
 * (destroying what is gone is success) and runs one at a time per domain, in
 * arrival order; reads answer at once.
 */
export interface HostAgentHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Make a volume available on this host (iSCSI login + device + multipath map, krbd map, NFS mount,
   * local check) and answer its device path.
   */
  ConnectVolume: grpc.handleUnaryCall<_virtagent_v1_ConnectVolumeRequest__Output, _virtagent_v1_ConnectVolumeResponse>;
  
  /**
   * Define a persistent domain from XML (or create a transient one), optionally start it.
   */
  DefineDomain: grpc.handleUnaryCall<_virtagent_v1_DefineDomainRequest__Output, _virtagent_v1_Domain>;
  
  /**
   * Destroy, disconnect volumes, remove the instance's own disks (the ownership rule), undefine with
   * managed-save/NVRAM/snapshot metadata. A domain libvirt does not know is still cleaned up after.
   */
  Destroy: grpc.handleUnaryCall<_virtagent_v1_DestroyRequest__Output, _virtagent_v1_DestroyResponse>;
  
  /**
   * Detach a volume from the guest (waiting for the guest to release it) and tear down the host connection.
   */
  DisconnectVolume: grpc.handleUnaryCall<_virtagent_v1_DisconnectVolumeRequest__Output, _virtagent_v1_DisconnectVolumeResponse>;
  
  /**
   * One domain's state, persistence, managed-save image and disks; NOT_FOUND when libvirt has none.
   */
  GetDomain: grpc.handleUnaryCall<_virtagent_v1_GetDomainRequest__Output, _virtagent_v1_Domain>;
  
  /**
   * Host name, libvirt and hypervisor versions, connection URI, and whether libvirt answers.
   * Answers even while libvirt is stalled (from the last known host name and version).
   */
  GetHostInfo: grpc.handleUnaryCall<_virtagent_v1_GetHostInfoRequest__Output, _virtagent_v1_HostInfo>;
  
  /**
   * Destroy (if running) and start again from the persistent definition, connecting its volumes first.
   */
  HardReboot: grpc.handleUnaryCall<_virtagent_v1_HardRebootRequest__Output, _virtagent_v1_PowerOnResponse>;
  
  /**
   * Every domain libvirt knows (running and defined); one undefined while being read is left out.
   */
  ListDomains: grpc.handleUnaryCall<_virtagent_v1_ListDomainsRequest__Output, _virtagent_v1_ListDomainsResponse>;
  
  /**
   * Clean shutdown with re-sent requests, then destroy when the timeout passes.
   */
  PowerOff: grpc.handleUnaryCall<_virtagent_v1_PowerOffRequest__Output, _virtagent_v1_PowerOffResponse>;
  
  /**
   * Start a stopped domain (restore), connecting its volumes first; a running domain is left alone.
   */
  PowerOn: grpc.handleUnaryCall<_virtagent_v1_PowerOnRequest__Output, _virtagent_v1_PowerOnResponse>;
  
  /**
   * Lifecycle and device events as libvirt reports them, until the client cancels.
   * A client more than the agent's watchEvents.maxBuffered (default 1000) events behind
   * is ended with RESOURCE_EXHAUSTED.
   */
  WatchEvents: grpc.handleServerStreamingCall<_virtagent_v1_WatchEventsRequest__Output, _virtagent_v1_Event>;
  
}

export interface HostAgentDefinition extends grpc.ServiceDefinition {
  ConnectVolume: MethodDefinition<_virtagent_v1_ConnectVolumeRequest, _virtagent_v1_ConnectVolumeResponse, _virtagent_v1_ConnectVolumeRequest__Output, _virtagent_v1_ConnectVolumeResponse__Output>
  DefineDomain: MethodDefinition<_virtagent_v1_DefineDomainRequest, _virtagent_v1_Domain, _virtagent_v1_DefineDomainRequest__Output, _virtagent_v1_Domain__Output>
  Destroy: MethodDefinition<_virtagent_v1_DestroyRequest, _virtagent_v1_DestroyResponse, _virtagent_v1_DestroyRequest__Output, _virtagent_v1_DestroyResponse__Output>
  DisconnectVolume: MethodDefinition<_virtagent_v1_DisconnectVolumeRequest, _virtagent_v1_DisconnectVolumeResponse, _virtagent_v1_DisconnectVolumeRequest__Output, _virtagent_v1_DisconnectVolumeResponse__Output>
  GetDomain: MethodDefinition<_virtagent_v1_GetDomainRequest, _virtagent_v1_Domain, _virtagent_v1_GetDomainRequest__Output, _virtagent_v1_Domain__Output>
  GetHostInfo: MethodDefinition<_virtagent_v1_GetHostInfoRequest, _virtagent_v1_HostInfo, _virtagent_v1_GetHostInfoRequest__Output, _virtagent_v1_HostInfo__Output>
  HardReboot: MethodDefinition<_virtagent_v1_HardRebootRequest, _virtagent_v1_PowerOnResponse, _virtagent_v1_HardRebootRequest__Output, _virtagent_v1_PowerOnResponse__Output>
  ListDomains: MethodDefinition<_virtagent_v1_ListDomainsRequest, _virtagent_v1_ListDomainsResponse, _virtagent_v1_ListDomainsRequest__Output, _virtagent_v1_ListDomainsResponse__Output>
  PowerOff: MethodDefinition<_virtagent_v1_PowerOffRequest, _virtagent_v1_PowerOffResponse, _virtagent_v1_PowerOffRequest__Output, _virtagent_v1_PowerOffResponse__Output>
  PowerOn: MethodDefinition<_virtagent_v1_PowerOnRequest, _virtagent_v1_PowerOnResponse, _virtagent_v1_PowerOnRequest__Output, _virtagent_v1_PowerOnResponse__Output>
  WatchEvents: MethodDefinition<_virtagent_v1_WatchEventsRequest, _virtagent_v1_Event, _virtagent_v1_WatchEventsRequest__Output, _virtagent_v1_Event__Output>
}
