// Original file: proto/virtagent/v1/agent.proto

import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';

export interface DestroyResponse {
  'found'?: (boolean);
  'was_running'?: (boolean);
  'undefined'?: (boolean);
  'managed_save_removed'?: (boolean);
  'warnings'?: (string)[];
  'steps'?: (_virtagent_v1_Step)[];
}

export interface DestroyResponse__Output {
  'found': (boolean);
  'was_running': (boolean);
  'undefined': (boolean);
  'managed_save_removed': (boolean);
  'warnings': (string)[];
  'steps': (_virtagent_v1_Step__Output)[];
}
