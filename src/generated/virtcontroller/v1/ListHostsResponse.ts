// Original file: proto/virtcontroller/v1/controller.proto

import type { Host as _virtcontroller_v1_Host, Host__Output as _virtcontroller_v1_Host__Output } from '../../virtcontroller/v1/Host';

/**
 * Every host, by name.
 */
export interface ListHostsResponse {
  /**
   * Sorted by name.
   */
  'hosts'?: (_virtcontroller_v1_Host)[];
}

/**
 * Every host, by name.
 */
export interface ListHostsResponse__Output {
  /**
   * Sorted by name.
   */
  'hosts': (_virtcontroller_v1_Host__Output)[];
}
