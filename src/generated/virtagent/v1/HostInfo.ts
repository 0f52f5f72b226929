// Original file: proto/virtagent/v1/agent.proto


/**
 * The host and the agent as they are now.
 */
export interface HostInfo {
  /**
   * The host's name, as libvirt last reported it (the OS's until libvirt answers).
   */
  'hostname'?: (string);
  /**
   * The libvirt connection URI the agent uses (--libvirt-uri), e.g. "qemu:///system".
   */
  'libvirt_uri'?: (string);
  /**
   * Version of the libvirt library the agent runs with, e.g. "9.0.0".
   */
  'libvirt_version'?: (string);
  /**
   * Version of the driver behind the connection (e.g. QEMU's), as last reported; empty until known.
   */
  'hypervisor_version'?: (string);
  /**
   * The agent's package version.
   */
  'agent_version'?: (string);
  /**
   * The agent holds an open libvirt connection (it reconnects by itself otherwise).
   */
  'connected'?: (boolean);
  /**
   * The agent's instances directory: a file disk of instance U must lie in <instances_path>/<U>/.
   */
  'instances_path'?: (string);
  /**
   * libvirt is connected and answers the agent's watchdog call in time
   * (health reports NOT_SERVING otherwise).
   */
  'healthy'?: (boolean);
  /**
   * Why not healthy (not connected, or a call pending past its deadline); empty when healthy.
   */
  'health_detail'?: (string);
}

/**
 * The host and the agent as they are now.
 */
export interface HostInfo__Output {
  /**
   * The host's name, as libvirt last reported it (the OS's until libvirt answers).
   */
  'hostname': (string);
  /**
   * The libvirt connection URI the agent uses (--libvirt-uri), e.g. "qemu:///system".
   */
  'libvirt_uri': (string);
  /**
   * Version of the libvirt library the agent runs with, e.g. "9.0.0".
   */
  'libvirt_version': (string);
  /**
   * Version of the driver behind the connection (e.g. QEMU's), as last reported; empty until known.
   */
  'hypervisor_version': (string);
  /**
   * The agent's package version.
   */
  'agent_version': (string);
  /**
   * The agent holds an open libvirt connection (it reconnects by itself otherwise).
   */
  'connected': (boolean);
  /**
   * The agent's instances directory: a file disk of instance U must lie in <instances_path>/<U>/.
   */
  'instances_path': (string);
  /**
   * libvirt is connected and answers the agent's watchdog call in time
   * (health reports NOT_SERVING otherwise).
   */
  'healthy': (boolean);
  /**
   * Why not healthy (not connected, or a call pending past its deadline); empty when healthy.
   */
  'health_detail': (string);
}
