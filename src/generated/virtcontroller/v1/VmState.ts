// Original file: proto/virtcontroller/v1/controller.proto

export const VmState = {
  VM_STATE_UNSPECIFIED: 'VM_STATE_UNSPECIFIED',
  VM_STATE_ACTIVE: 'VM_STATE_ACTIVE',
  VM_STATE_STOPPED: 'VM_STATE_STOPPED',
  VM_STATE_SOFT_DELETED: 'VM_STATE_SOFT_DELETED',
  VM_STATE_DELETED: 'VM_STATE_DELETED',
  VM_STATE_ERROR: 'VM_STATE_ERROR',
  /**
   * While CreateInstance runs (with TASK_STATE_SPAWNING).
   */
  VM_STATE_BUILDING: 'VM_STATE_BUILDING',
} as const;

export type VmState =
  | 'VM_STATE_UNSPECIFIED'
  | 0
  | 'VM_STATE_ACTIVE'
  | 1
  | 'VM_STATE_STOPPED'
  | 2
  | 'VM_STATE_SOFT_DELETED'
  | 3
  | 'VM_STATE_DELETED'
  | 4
  | 'VM_STATE_ERROR'
  | 5
  /**
   * While CreateInstance runs (with TASK_STATE_SPAWNING).
   */
  | 'VM_STATE_BUILDING'
  | 6

export type VmState__Output = typeof VmState[keyof typeof VmState]
