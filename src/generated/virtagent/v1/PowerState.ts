// Original file: proto/virtagent/v1/agent.proto

/**
 * Mirrors libvirt's virDomainState.
 */
export const PowerState = {
  /**
   * No state (libvirt's VIR_DOMAIN_NOSTATE), or one this version does not name.
   */
  POWER_STATE_NOSTATE: 'POWER_STATE_NOSTATE',
  /**
   * Running.
   */
  POWER_STATE_RUNNING: 'POWER_STATE_RUNNING',
  /**
   * Blocked on a resource.
   */
  POWER_STATE_BLOCKED: 'POWER_STATE_BLOCKED',
  /**
   * Paused by a user or by libvirt (e.g. an I/O error).
   */
  POWER_STATE_PAUSED: 'POWER_STATE_PAUSED',
  /**
   * Being shut down: the guest got the request and has not stopped yet.
   */
  POWER_STATE_SHUTDOWN: 'POWER_STATE_SHUTDOWN',
  /**
   * Not running (defined, or a transient domain just before it is gone).
   */
  POWER_STATE_SHUTOFF: 'POWER_STATE_SHUTOFF',
  /**
   * Crashed; with on_crash=preserve its QEMU process is still there.
   */
  POWER_STATE_CRASHED: 'POWER_STATE_CRASHED',
  /**
   * Suspended by guest power management.
   */
  POWER_STATE_PMSUSPENDED: 'POWER_STATE_PMSUSPENDED',
} as const;

/**
 * Mirrors libvirt's virDomainState.
 */
export type PowerState =
  /**
   * No state (libvirt's VIR_DOMAIN_NOSTATE), or one this version does not name.
   */
  | 'POWER_STATE_NOSTATE'
  | 0
  /**
   * Running.
   */
  | 'POWER_STATE_RUNNING'
  | 1
  /**
   * Blocked on a resource.
   */
  | 'POWER_STATE_BLOCKED'
  | 2
  /**
   * Paused by a user or by libvirt (e.g. an I/O error).
   */
  | 'POWER_STATE_PAUSED'
  | 3
  /**
   * Being shut down: the guest got the request and has not stopped yet.
   */
  | 'POWER_STATE_SHUTDOWN'
  | 4
  /**
   * Not running (defined, or a transient domain just before it is gone).
   */
  | 'POWER_STATE_SHUTOFF'
  | 5
  /**
   * Crashed; with on_crash=preserve its QEMU process is still there.
   */
  | 'POWER_STATE_CRASHED'
  | 6
  /**
   * Suspended by guest power management.
   */
  | 'POWER_STATE_PMSUSPENDED'
  | 7

/**
 * Mirrors libvirt's virDomainState.
 */
export type PowerState__Output = typeof PowerState[keyof typeof PowerState]
