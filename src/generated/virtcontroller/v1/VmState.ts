// Original file: proto/virtcontroller/v1/controller.proto

/**
 * Where an instance is in its life (Nova's vm_state).
 */
export const VmState = {
  /**
   * Not a state: in ListInstancesRequest, no filter.
   */
  VM_STATE_UNSPECIFIED: 'VM_STATE_UNSPECIFIED',
  /**
   * Created and running, or meant to be.
   */
  VM_STATE_ACTIVE: 'VM_STATE_ACTIVE',
  /**
   * Stopped by StopInstance; StartInstance starts it again.
   */
  VM_STATE_STOPPED: 'VM_STATE_STOPPED',
  /**
   * Deleted softly: powered off, quota released, restorable until the reclaim destroys it.
   */
  VM_STATE_SOFT_DELETED: 'VM_STATE_SOFT_DELETED',
  /**
   * Deleted (final); the record stays for GetInstance and the action log.
   */
  VM_STATE_DELETED: 'VM_STATE_DELETED',
  /**
   * A create, stop, start or delete failed (see Instance.error); it can always be deleted again.
   */
  VM_STATE_ERROR: 'VM_STATE_ERROR',
  /**
   * While CreateInstance runs (with TASK_STATE_SPAWNING).
   */
  VM_STATE_BUILDING: 'VM_STATE_BUILDING',
} as const;

/**
 * Where an instance is in its life (Nova's vm_state).
 */
export type VmState =
  /**
   * Not a state: in ListInstancesRequest, no filter.
   */
  | 'VM_STATE_UNSPECIFIED'
  | 0
  /**
   * Created and running, or meant to be.
   */
  | 'VM_STATE_ACTIVE'
  | 1
  /**
   * Stopped by StopInstance; StartInstance starts it again.
   */
  | 'VM_STATE_STOPPED'
  | 2
  /**
   * Deleted softly: powered off, quota released, restorable until the reclaim destroys it.
   */
  | 'VM_STATE_SOFT_DELETED'
  | 3
  /**
   * Deleted (final); the record stays for GetInstance and the action log.
   */
  | 'VM_STATE_DELETED'
  | 4
  /**
   * A create, stop, start or delete failed (see Instance.error); it can always be deleted again.
   */
  | 'VM_STATE_ERROR'
  | 5
  /**
   * While CreateInstance runs (with TASK_STATE_SPAWNING).
   */
  | 'VM_STATE_BUILDING'
  | 6

/**
 * Where an instance is in its life (Nova's vm_state).
 */
export type VmState__Output = typeof VmState[keyof typeof VmState]
