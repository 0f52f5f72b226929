// Original file: proto/virtagent/v1/agent.proto

import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';

export interface DisconnectVolumeResponse {
  'detached_from_domain'?: (boolean);
  'host_disconnected'?: (boolean);
  'warnings'?: (string)[];
  'steps'?: (_virtagent_v1_Step)[];
}

export interface DisconnectVolumeResponse__Output {
  'detached_from_domain': (boolean);
  'host_disconnected': (boolean);
  'warnings': (string)[];
  'steps': (_virtagent_v1_Step__Output)[];
}
