// Original file: proto/virtcontroller/v1/controller.proto

/**
 * The last power state the agent reported (libvirt's virDomainState).
 */
export const PowerState = {
  /**
   * No state, or never reported (a deleted instance).
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
   * Paused.
   */
  POWER_STATE_PAUSED: 'POWER_STATE_PAUSED',
  /**
   * Being shut down.
   */
  POWER_STATE_SHUTDOWN: 'POWER_STATE_SHUTDOWN',
  /**
   * Not running.
   */
  POWER_STATE_SHUTOFF: 'POWER_STATE_SHUTOFF',
  /**
   * Crashed.
   */
  POWER_STATE_CRASHED: 'POWER_STATE_CRASHED',
  /**
   * Suspended by guest power management.
   */
  POWER_STATE_PMSUSPENDED: 'POWER_STATE_PMSUSPENDED',
} as const;

/**
 * The last power state the agent reported (libvirt's virDomainState).
 */
export type PowerState =
  /**
   * No state, or never reported (a deleted instance).
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
   * Paused.
   */
  | 'POWER_STATE_PAUSED'
  | 3
  /**
   * Being shut down.
   */
  | 'POWER_STATE_SHUTDOWN'
  | 4
  /**
   * Not running.
   */
  | 'POWER_STATE_SHUTOFF'
  | 5
  /**
   * Crashed.
   */
  | 'POWER_STATE_CRASHED'
  | 6
  /**
   * Suspended by guest power management.
   */
  | 'POWER_STATE_PMSUSPENDED'
  | 7

/**
 * The last power state the agent reported (libvirt's virDomainState).
 */
export type PowerState__Output = typeof PowerState[keyof typeof PowerState]
