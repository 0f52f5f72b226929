// Original file: proto/virtcontroller/v1/controller.proto

import type { ConnectionInfo as _virtcontroller_v1_ConnectionInfo, ConnectionInfo__Output as _virtcontroller_v1_ConnectionInfo__Output } from '../../virtcontroller/v1/ConnectionInfo';

export interface AttachVolumeRequest {
  'uuid'?: (string);
  'volume_id'?: (string);
  'target_dev'?: (string);
  'connection_info'?: (_virtcontroller_v1_ConnectionInfo | null);
  'delete_on_termination'?: (boolean);
}

export interface AttachVolumeRequest__Output {
  'uuid': (string);
  'volume_id': (string);
  'target_dev': (string);
  'connection_info': (_virtcontroller_v1_ConnectionInfo__Output | null);
  'delete_on_termination': (boolean);
}
