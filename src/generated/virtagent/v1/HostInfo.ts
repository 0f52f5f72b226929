// Original file: proto/virtagent/v1/agent.proto


export interface HostInfo {
  'hostname'?: (string);
  'libvirt_uri'?: (string);
  /**
   * of the library the agent runs with, e.g. "9.0.0"
   */
  'libvirt_version'?: (string);
  /**
   * of the driver behind the connection
   */
  'hypervisor_version'?: (string);
  'agent_version'?: (string);
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

export interface HostInfo__Output {
  'hostname': (string);
  'libvirt_uri': (string);
  /**
   * of the library the agent runs with, e.g. "9.0.0"
   */
  'libvirt_version': (string);
  /**
   * of the driver behind the connection
   */
  'hypervisor_version': (string);
  'agent_version': (string);
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
