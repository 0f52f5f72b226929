import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { ConnectVolumeRequest as _virtagent_v1_ConnectVolumeRequest, ConnectVolumeRequest__Output as _virtagent_v1_ConnectVolumeRequest__Output } from './virtagent/v1/ConnectVolumeRequest';
import type { ConnectVolumeResponse as _virtagent_v1_ConnectVolumeResponse, ConnectVolumeResponse__Output as _virtagent_v1_ConnectVolumeResponse__Output } from './virtagent/v1/ConnectVolumeResponse';
import type { ConnectionInfo as _virtagent_v1_ConnectionInfo, ConnectionInfo__Output as _virtagent_v1_ConnectionInfo__Output } from './virtagent/v1/ConnectionInfo';
import type { DefineDomainRequest as _virtagent_v1_DefineDomainRequest, DefineDomainRequest__Output as _virtagent_v1_DefineDomainRequest__Output } from './virtagent/v1/DefineDomainRequest';
import type { DestroyRequest as _virtagent_v1_DestroyRequest, DestroyRequest__Output as _virtagent_v1_DestroyRequest__Output } from './virtagent/v1/DestroyRequest';
import type { DestroyResponse as _virtagent_v1_DestroyResponse, DestroyResponse__Output as _virtagent_v1_DestroyResponse__Output } from './virtagent/v1/DestroyResponse';
import type { DeviceEvent as _virtagent_v1_DeviceEvent, DeviceEvent__Output as _virtagent_v1_DeviceEvent__Output } from './virtagent/v1/DeviceEvent';
import type { DisconnectVolumeRequest as _virtagent_v1_DisconnectVolumeRequest, DisconnectVolumeRequest__Output as _virtagent_v1_DisconnectVolumeRequest__Output } from './virtagent/v1/DisconnectVolumeRequest';
import type { DisconnectVolumeResponse as _virtagent_v1_DisconnectVolumeResponse, DisconnectVolumeResponse__Output as _virtagent_v1_DisconnectVolumeResponse__Output } from './virtagent/v1/DisconnectVolumeResponse';
import type { Disk as _virtagent_v1_Disk, Disk__Output as _virtagent_v1_Disk__Output } from './virtagent/v1/Disk';
import type { Domain as _virtagent_v1_Domain, Domain__Output as _virtagent_v1_Domain__Output } from './virtagent/v1/Domain';
import type { DomainRef as _virtagent_v1_DomainRef, DomainRef__Output as _virtagent_v1_DomainRef__Output } from './virtagent/v1/DomainRef';
import type { Event as _virtagent_v1_Event, Event__Output as _virtagent_v1_Event__Output } from './virtagent/v1/Event';
import type { GetDomainRequest as _virtagent_v1_GetDomainRequest, GetDomainRequest__Output as _virtagent_v1_GetDomainRequest__Output } from './virtagent/v1/GetDomainRequest';
import type { GetHostInfoRequest as _virtagent_v1_GetHostInfoRequest, GetHostInfoRequest__Output as _virtagent_v1_GetHostInfoRequest__Output } from './virtagent/v1/GetHostInfoRequest';
import type { HardRebootRequest as _virtagent_v1_HardRebootRequest, HardRebootRequest__Output as _virtagent_v1_HardRebootRequest__Output } from './virtagent/v1/HardRebootRequest';
import type { HostAgentClient as _virtagent_v1_HostAgentClient, HostAgentDefinition as _virtagent_v1_HostAgentDefinition } from './virtagent/v1/HostAgent';
import type { HostInfo as _virtagent_v1_HostInfo, HostInfo__Output as _virtagent_v1_HostInfo__Output } from './virtagent/v1/HostInfo';
import type { LifecycleEvent as _virtagent_v1_LifecycleEvent, LifecycleEvent__Output as _virtagent_v1_LifecycleEvent__Output } from './virtagent/v1/LifecycleEvent';
import type { ListDomainsRequest as _virtagent_v1_ListDomainsRequest, ListDomainsRequest__Output as _virtagent_v1_ListDomainsRequest__Output } from './virtagent/v1/ListDomainsRequest';
import type { ListDomainsResponse as _virtagent_v1_ListDomainsResponse, ListDomainsResponse__Output as _virtagent_v1_ListDomainsResponse__Output } from './virtagent/v1/ListDomainsResponse';
import type { PowerOffRequest as _virtagent_v1_PowerOffRequest, PowerOffRequest__Output as _virtagent_v1_PowerOffRequest__Output } from './virtagent/v1/PowerOffRequest';
import type { PowerOffResponse as _virtagent_v1_PowerOffResponse, PowerOffResponse__Output as _virtagent_v1_PowerOffResponse__Output } from './virtagent/v1/PowerOffResponse';
import type { PowerOnRequest as _virtagent_v1_PowerOnRequest, PowerOnRequest__Output as _virtagent_v1_PowerOnRequest__Output } from './virtagent/v1/PowerOnRequest';
import type { PowerOnResponse as _virtagent_v1_PowerOnResponse, PowerOnResponse__Output as _virtagent_v1_PowerOnResponse__Output } from './virtagent/v1/PowerOnResponse';
import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from './virtagent/v1/Step';
import type { VolumeAttachment as _virtagent_v1_VolumeAttachment, VolumeAttachment__Output as _virtagent_v1_VolumeAttachment__Output } from './virtagent/v1/VolumeAttachment';
import type { WatchEventsRequest as _virtagent_v1_WatchEventsRequest, WatchEventsRequest__Output as _virtagent_v1_WatchEventsRequest__Output } from './virtagent/v1/WatchEventsRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  virtagent: {
    v1: {
      ConnectVolumeRequest: MessageTypeDefinition<_virtagent_v1_ConnectVolumeRequest, _virtagent_v1_ConnectVolumeRequest__Output>
      ConnectVolumeResponse: MessageTypeDefinition<_virtagent_v1_ConnectVolumeResponse, _virtagent_v1_ConnectVolumeResponse__Output>
      ConnectionInfo: MessageTypeDefinition<_virtagent_v1_ConnectionInfo, _virtagent_v1_ConnectionInfo__Output>
      DefineDomainRequest: MessageTypeDefinition<_virtagent_v1_DefineDomainRequest, _virtagent_v1_DefineDomainRequest__Output>
      DestroyRequest: MessageTypeDefinition<_virtagent_v1_DestroyRequest, _virtagent_v1_DestroyRequest__Output>
      DestroyResponse: MessageTypeDefinition<_virtagent_v1_DestroyResponse, _virtagent_v1_DestroyResponse__Output>
      DeviceEvent: MessageTypeDefinition<_virtagent_v1_DeviceEvent, _virtagent_v1_DeviceEvent__Output>
      DisconnectVolumeRequest: MessageTypeDefinition<_virtagent_v1_DisconnectVolumeRequest, _virtagent_v1_DisconnectVolumeRequest__Output>
      DisconnectVolumeResponse: MessageTypeDefinition<_virtagent_v1_DisconnectVolumeResponse, _virtagent_v1_DisconnectVolumeResponse__Output>
      Disk: MessageTypeDefinition<_virtagent_v1_Disk, _virtagent_v1_Disk__Output>
      Domain: MessageTypeDefinition<_virtagent_v1_Domain, _virtagent_v1_Domain__Output>
      DomainRef: MessageTypeDefinition<_virtagent_v1_DomainRef, _virtagent_v1_DomainRef__Output>
      Event: MessageTypeDefinition<_virtagent_v1_Event, _virtagent_v1_Event__Output>
      GetDomainRequest: MessageTypeDefinition<_virtagent_v1_GetDomainRequest, _virtagent_v1_GetDomainRequest__Output>
      GetHostInfoRequest: MessageTypeDefinition<_virtagent_v1_GetHostInfoRequest, _virtagent_v1_GetHostInfoRequest__Output>
      HardRebootRequest: MessageTypeDefinition<_virtagent_v1_HardRebootRequest, _virtagent_v1_HardRebootRequest__Output>
      /**
       * The agent of one compute host. Every operation on a domain is idempotent
       * (destroying what is gone is success) and runs one at a time per domain, in
       * arrival order; reads answer at once.
       */
      HostAgent: SubtypeConstructor<typeof grpc.Client, _virtagent_v1_HostAgentClient> & { service: _virtagent_v1_HostAgentDefinition }
      HostInfo: MessageTypeDefinition<_virtagent_v1_HostInfo, _virtagent_v1_HostInfo__Output>
      LifecycleEvent: MessageTypeDefinition<_virtagent_v1_LifecycleEvent, _virtagent_v1_LifecycleEvent__Output>
      ListDomainsRequest: MessageTypeDefinition<_virtagent_v1_ListDomainsRequest, _virtagent_v1_ListDomainsRequest__Output>
      ListDomainsResponse: MessageTypeDefinition<_virtagent_v1_ListDomainsResponse, _virtagent_v1_ListDomainsResponse__Output>
      PowerOffRequest: MessageTypeDefinition<_virtagent_v1_PowerOffRequest, _virtagent_v1_PowerOffRequest__Output>
      PowerOffResponse: MessageTypeDefinition<_virtagent_v1_PowerOffResponse, _virtagent_v1_PowerOffResponse__Output>
      PowerOnRequest: MessageTypeDefinition<_virtagent_v1_PowerOnRequest, _virtagent_v1_PowerOnRequest__Output>
      PowerOnResponse: MessageTypeDefinition<_virtagent_v1_PowerOnResponse, _virtagent_v1_PowerOnResponse__Output>
      PowerState: EnumTypeDefinition
      ShutdownMethod: EnumTypeDefinition
      Step: MessageTypeDefinition<_virtagent_v1_Step, _virtagent_v1_Step__Output>
      VolumeAttachment: MessageTypeDefinition<_virtagent_v1_VolumeAttachment, _virtagent_v1_VolumeAttachment__Output>
      WatchEventsRequest: MessageTypeDefinition<_virtagent_v1_WatchEventsRequest, _virtagent_v1_WatchEventsRequest__Output>
    }
  }
}

