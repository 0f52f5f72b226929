// Original file: proto/virtcontroller/v1/controller.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What an agent tells the controller about its host.
 */
export interface RegisterHostRequest {
  /**
   * Host name: 1-255 characters of [A-Za-z0-9._-], starting with a letter or digit; the name
   * instances are placed on (CreateInstanceRequest.host).
   */
  'name'?: (string);
  /**
   * Where the controller reaches the agent: HOST:PORT (mutual TLS like every agent call) or unix:///path.
   */
  'address'?: (string);
  /**
   * The agent's libvirt connection URI (e.g. qemu:///system).
   */
  'libvirt_uri'?: (string);
  /**
   * libvirt's library version, e.g. "9.0.0".
   */
  'libvirt_version'?: (string);
  /**
   * The agent's version.
   */
  'agent_version'?: (string);
  /**
   * Host CPUs (0 = unknown).
   */
  'vcpus'?: (number | string | Long);
  /**
   * Host memory in MiB (0 = unknown).
   */
  'memory_mib'?: (number | string | Long);
}

/**
 * What an agent tells the controller about its host.
 */
export interface RegisterHostRequest__Output {
  /**
   * Host name: 1-255 characters of [A-Za-z0-9._-], starting with a letter or digit; the name
   * instances are placed on (CreateInstanceRequest.host).
   */
  'name': (string);
  /**
   * Where the controller reaches the agent: HOST:PORT (mutual TLS like every agent call) or unix:///path.
   */
  'address': (string);
  /**
   * The agent's libvirt connection URI (e.g. qemu:///system).
   */
  'libvirt_uri': (string);
  /**
   * libvirt's library version, e.g. "9.0.0".
   */
  'libvirt_version': (string);
  /**
   * The agent's version.
   */
  'agent_version': (string);
  /**
   * Host CPUs (0 = unknown).
   */
  'vcpus': (number);
  /**
   * Host memory in MiB (0 = unknown).
   */
  'memory_mib': (number);
}
