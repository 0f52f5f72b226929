// Original file: proto/virtagent/v1/agent.proto

import type { ConnectionInfo as _virtagent_v1_ConnectionInfo, ConnectionInfo__Output as _virtagent_v1_ConnectionInfo__Output } from '../../virtagent/v1/ConnectionInfo';

export interface VolumeAttachment {
  'volume_id'?: (string);
  'target_dev'?: (string);
  'connection_info'?: (_virtagent_v1_ConnectionInfo | null);
}

export interface VolumeAttachment__Output {
  'volume_id': (string);
  'target_dev': (string);
  'connection_info': (_virtagent_v1_ConnectionInfo__Output | null);
}
