// Original file: proto/virtagent/v1/agent.proto

import type { Step as _virtagent_v1_Step, Step__Output as _virtagent_v1_Step__Output } from '../../virtagent/v1/Step';

/**
 * The answer of Destroy.
 */
export interface DestroyResponse {
  /**
   * libvirt knew the domain (false: only its leftovers on the host were cleaned up).
   */
  'found'?: (boolean);
  /**
   * It was running (or crashed with its process still there) and was destroyed.
   */
  'was_running'?: (boolean);
  /**
   * Its persistent definition was removed (false for a transient domain, or one not found).
   */
  'undefined'?: (boolean);
  /**
   * It had a managed-save image, removed with the definition.
   */
  'managed_save_removed'?: (boolean);
  /**
   * What could not be done and was tolerated (with destroy_disks), e.g. a volume's host disconnect.
   */
  'warnings'?: (string)[];
  /**
   * What was done, in order.
   */
  'steps'?: (_virtagent_v1_Step)[];
}

/**
 * The answer of Destroy.
 */
export interface DestroyResponse__Output {
  /**
   * libvirt knew the domain (false: only its leftovers on the host were cleaned up).
   */
  'found': (boolean);
  /**
   * It was running (or crashed with its process still there) and was destroyed.
   */
  'was_running': (boolean);
  /**
   * Its persistent definition was removed (false for a transient domain, or one not found).
   */
  'undefined': (boolean);
  /**
   * It had a managed-save image, removed with the definition.
   */
  'managed_save_removed': (boolean);
  /**
   * What could not be done and was tolerated (with destroy_disks), e.g. a volume's host disconnect.
   */
  'warnings': (string)[];
  /**
   * What was done, in order.
   */
  'steps': (_virtagent_v1_Step__Output)[];
}
