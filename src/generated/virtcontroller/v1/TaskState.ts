// Original file: proto/virtcontroller/v1/controller.proto

/**
 * What is being done to an instance right now (Nova's task_state).
 */
export const TaskState = {
  /**
   * Not a state (never reported).
   */
  TASK_STATE_UNSPECIFIED: 'TASK_STATE_UNSPECIFIED',
  /**
   * Nothing: the instance accepts a new call.
   */
  TASK_STATE_NONE: 'TASK_STATE_NONE',
  /**
   * A stop (or a pending power-off) is running.
   */
  TASK_STATE_POWERING_OFF: 'TASK_STATE_POWERING_OFF',
  /**
   * A start is running.
   */
  TASK_STATE_POWERING_ON: 'TASK_STATE_POWERING_ON',
  /**
   * A soft delete is running.
   */
  TASK_STATE_SOFT_DELETING: 'TASK_STATE_SOFT_DELETING',
  /**
   * A restore is running.
   */
  TASK_STATE_RESTORING: 'TASK_STATE_RESTORING',
  /**
   * A hard delete, force delete or reclaim is running.
   */
  TASK_STATE_DELETING: 'TASK_STATE_DELETING',
  /**
   * CreateInstance is running.
   */
  TASK_STATE_SPAWNING: 'TASK_STATE_SPAWNING',
} as const;

/**
 * What is being done to an instance right now (Nova's task_state).
 */
export type TaskState =
  /**
   * Not a state (never reported).
   */
  | 'TASK_STATE_UNSPECIFIED'
  | 0
  /**
   * Nothing: the instance accepts a new call.
   */
  | 'TASK_STATE_NONE'
  | 1
  /**
   * A stop (or a pending power-off) is running.
   */
  | 'TASK_STATE_POWERING_OFF'
  | 2
  /**
   * A start is running.
   */
  | 'TASK_STATE_POWERING_ON'
  | 3
  /**
   * A soft delete is running.
   */
  | 'TASK_STATE_SOFT_DELETING'
  | 4
  /**
   * A restore is running.
   */
  | 'TASK_STATE_RESTORING'
  | 5
  /**
   * A hard delete, force delete or reclaim is running.
   */
  | 'TASK_STATE_DELETING'
  | 6
  /**
   * CreateInstance is running.
   */
  | 'TASK_STATE_SPAWNING'
  | 7

/**
 * What is being done to an instance right now (Nova's task_state).
 */
export type TaskState__Output = typeof TaskState[keyof typeof TaskState]
