// Original file: proto/virtagent/v1/agent.proto

/**
 * Mirrors libvirt's virDomainState.
 */
export const PowerState = {
  POWER_STATE_NOSTATE: 'POWER_STATE_NOSTATE',
  POWER_STATE_RUNNING: 'POWER_STATE_RUNNING',
  POWER_STATE_BLOCKED: 'POWER_STATE_BLOCKED',
  POWER_STATE_PAUSED: 'POWER_STATE_PAUSED',
  POWER_STATE_SHUTDOWN: 'POWER_STATE_SHUTDOWN',
  POWER_STATE_SHUTOFF: 'POWER_STATE_SHUTOFF',
  POWER_STATE_CRASHED: 'POWER_STATE_CRASHED',
  POWER_STATE_PMSUSPENDED: 'POWER_STATE_PMSUSPENDED',
} as const;

/**
 * Mirrors libvirt's virDomainState.
 */
export type PowerState =
  | 'POWER_STATE_NOSTATE'
  | 0
  | 'POWER_STATE_RUNNING'
  | 1
  | 'POWER_STATE_BLOCKED'
  | 2
  | 'POWER_STATE_PAUSED'
  | 3
  | 'POWER_STATE_SHUTDOWN'
  | 4
  | 'POWER_STATE_SHUTOFF'
  | 5
  | 'POWER_STATE_CRASHED'
  | 6
  | 'POWER_STATE_PMSUSPENDED'
  | 7

/**
 * Mirrors libvirt's virDomainState.
 */
export type PowerState__Output = typeof PowerState[keyof typeof PowerState]
