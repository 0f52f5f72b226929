// Original file: proto/virtcontroller/v1/controller.proto

/**
 * A host's liveness as the controller decides it.
 */
export const HostState = {
  /**
   * Not a state.
   */
  HOST_STATE_UNSPECIFIED: 'HOST_STATE_UNSPECIFIED',
  /**
   * A successful contact (heartbeat, health check or call) within service_down_seconds.
   */
  HOST_STATE_UP: 'HOST_STATE_UP',
  /**
   * Nothing succeeded with its agent for service_down_seconds.
   */
  HOST_STATE_DOWN: 'HOST_STATE_DOWN',
} as const;

/**
 * A host's liveness as the controller decides it.
 */
export type HostState =
  /**
   * Not a state.
   */
  | 'HOST_STATE_UNSPECIFIED'
  | 0
  /**
   * A successful contact (heartbeat, health check or call) within service_down_seconds.
   */
  | 'HOST_STATE_UP'
  | 1
  /**
   * Nothing succeeded with its agent for service_down_seconds.
   */
  | 'HOST_STATE_DOWN'
  | 2

/**
 * A host's liveness as the controller decides it.
 */
export type HostState__Output = typeof HostState[keyof typeof HostState]
