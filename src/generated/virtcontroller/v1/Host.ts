// Original file: proto/virtcontroller/v1/controller.proto

import type { HostState as _virtcontroller_v1_HostState, HostState__Output as _virtcontroller_v1_HostState__Output } from '../../virtcontroller/v1/HostState';
import type { Long } from '@grpc/proto-loader';

/**
 * A host as the controller knows it.
 */
export interface Host {
  /**
   * Host name.
   */
  'name'?: (string);
  /**
   * The agent's address.
   */
  'address'?: (string);
  /**
   * Liveness (down after service_down_seconds without a successful contact).
   */
  'state'?: (_virtcontroller_v1_HostState);
  /**
   * Last heartbeat, Unix epoch milliseconds; 0 = none (a static --agent host, or never heard from).
   */
  'last_heartbeat_ms'?: (number | string | Long);
  /**
   * True: no new instances are created on it.
   */
  'disabled'?: (boolean);
  /**
   * Why it was disabled (SetHostDisabled's reason); empty when enabled.
   */
  'disabled_reason'?: (string);
  /**
   * Instances on it that are not deleted.
   */
  'instance_count'?: (number | string | Long);
  /**
   * True for a host configured with --agent / --hosts-file rather than registered by its agent.
   */
  'static'?: (boolean);
  /**
   * From the agent's registration (empty / 0 for a static host that never registered).
   */
  'libvirt_uri'?: (string);
  /**
   * libvirt's library version on the host.
   */
  'libvirt_version'?: (string);
  /**
   * The agent's version.
   */
  'agent_version'?: (string);
  /**
   * Host CPUs.
   */
  'vcpus'?: (number | string | Long);
  /**
   * Host memory in MiB.
   */
  'memory_mib'?: (number | string | Long);
}

/**
 * A host as the controller knows it.
 */
export interface Host__Output {
  /**
   * Host name.
   */
  'name': (string);
  /**
   * The agent's address.
   */
  'address': (string);
  /**
   * Liveness (down after service_down_seconds without a successful contact).
   */
  'state': (_virtcontroller_v1_HostState__Output);
  /**
   * Last heartbeat, Unix epoch milliseconds; 0 = none (a static --agent host, or never heard from).
   */
  'last_heartbeat_ms': (number);
  /**
   * True: no new instances are created on it.
   */
  'disabled': (boolean);
  /**
   * Why it was disabled (SetHostDisabled's reason); empty when enabled.
   */
  'disabled_reason': (string);
  /**
   * Instances on it that are not deleted.
   */
  'instance_count': (number);
  /**
   * True for a host configured with --agent / --hosts-file rather than registered by its agent.
   */
  'static': (boolean);
  /**
   * From the agent's registration (empty / 0 for a static host that never registered).
   */
  'libvirt_uri': (string);
  /**
   * libvirt's library version on the host.
   */
  'libvirt_version': (string);
  /**
   * The agent's version.
   */
  'agent_version': (string);
  /**
   * Host CPUs.
   */
  'vcpus': (number);
  /**
   * Host memory in MiB.
   */
  'memory_mib': (number);
}
