// libvirt's numeric constants that the agent uses, named as in libvirt.
import { nameOf } from '../enums';

/** virDomainState */
export enum DomainState {
  NOSTATE = 0,
  RUNNING = 1,
  BLOCKED = 2,
  PAUSED = 3,
  SHUTDOWN = 4,
  SHUTOFF = 5,
  CRASHED = 6,
  PMSUSPENDED = 7,
}

/** Reason names per state (virDomainRunningReason, virDomainShutoffReason, ...). */
const STATE_REASONS: Partial<Record<number, string[]>> = {
  [DomainState.NOSTATE]: ['UNKNOWN'],
  [DomainState.RUNNING]: ['UNKNOWN', 'BOOTED', 'MIGRATED', 'RESTORED', 'FROM_SNAPSHOT', 'UNPAUSED',
    'MIGRATION_CANCELED', 'SAVE_CANCELED', 'WAKEUP', 'CRASHED', 'POSTCOPY', 'POSTCOPY_FAILED'],
  [DomainState.BLOCKED]: ['UNKNOWN'],
  [DomainState.PAUSED]: ['UNKNOWN', 'USER', 'MIGRATION', 'SAVE', 'DUMP', 'IOERROR', 'WATCHDOG',
    'FROM_SNAPSHOT', 'SHUTTING_DOWN', 'SNAPSHOT', 'CRASHED', 'STARTING_UP', 'POSTCOPY',
    'POSTCOPY_FAILED', 'API_ERROR'],
  [DomainState.SHUTDOWN]: ['UNKNOWN', 'USER'],
  [DomainState.SHUTOFF]: ['UNKNOWN', 'SHUTDOWN', 'DESTROYED', 'CRASHED', 'MIGRATED', 'SAVED',
    'FAILED', 'FROM_SNAPSHOT', 'DAEMON'],
  [DomainState.CRASHED]: ['UNKNOWN', 'PANICKED'],
  [DomainState.PMSUSPENDED]: ['UNKNOWN'],
};

/** e.g. stateReasonName(SHUTOFF, 2) === 'SHUTOFF_DESTROYED' */
export function stateReasonName(state: DomainState, reason: number): string {
  const names = STATE_REASONS[state] ?? [];
  return `${nameOf(DomainState, state) ?? 'UNKNOWN'}_${names[reason] ?? String(reason)}`;
}

/**
 * States in which the domain's process is gone. Not SHUTDOWN: that is
 * "being shut down" (the guest got the request and is still running; QEMU
 * reports it between the guest's shutdown and the process exit).
 */
export function isStopped(state: DomainState): boolean {
  return state === DomainState.SHUTOFF || state === DomainState.CRASHED;
}

/** virDomainEventID (the ones the binding supports) */
export enum EventId {
  LIFECYCLE = 0,
  DEVICE_REMOVED = 15,
  DEVICE_REMOVAL_FAILED = 22,
}

/** virDomainEventType */
export enum LifecycleEvent {
  DEFINED = 0,
  UNDEFINED = 1,
  STARTED = 2,
  SUSPENDED = 3,
  RESUMED = 4,
  STOPPED = 5,
  SHUTDOWN = 6,
  PMSUSPENDED = 7,
  CRASHED = 8,
}

const EVENT_DETAILS: Partial<Record<number, string[]>> = {
  [LifecycleEvent.DEFINED]: ['ADDED', 'UPDATED', 'RENAMED', 'FROM_SNAPSHOT'],
  [LifecycleEvent.UNDEFINED]: ['REMOVED', 'RENAMED'],
  [LifecycleEvent.STARTED]: ['BOOTED', 'MIGRATED', 'RESTORED', 'FROM_SNAPSHOT', 'WAKEUP', 'RECREATED'],
  [LifecycleEvent.SUSPENDED]: ['PAUSED', 'MIGRATED', 'IOERROR', 'WATCHDOG', 'RESTORED', 'FROM_SNAPSHOT',
    'API_ERROR', 'POSTCOPY', 'POSTCOPY_FAILED'],
  [LifecycleEvent.RESUMED]: ['UNPAUSED', 'MIGRATED', 'FROM_SNAPSHOT', 'POSTCOPY', 'POSTCOPY_FAILED'],
  [LifecycleEvent.STOPPED]: ['SHUTDOWN', 'DESTROYED', 'CRASHED', 'MIGRATED', 'SAVED', 'FAILED', 'FROM_SNAPSHOT'],
  [LifecycleEvent.SHUTDOWN]: ['FINISHED', 'GUEST', 'HOST'],
  [LifecycleEvent.PMSUSPENDED]: ['MEMORY', 'DISK'],
  [LifecycleEvent.CRASHED]: ['PANICKED', 'CRASHLOADED'],
};

export function lifecycleDetailName(event: LifecycleEvent, detail: number): string {
  return `${nameOf(LifecycleEvent, event) ?? 'UNKNOWN'}_${EVENT_DETAILS[event]?.[detail] ?? String(detail)}`;
}

/** virConnectCloseReason */
export enum CloseReason {
  ERROR = 0,
  EOF = 1,
  KEEPALIVE = 2,
  CLIENT = 3,
}

/** virDomainShutdownFlagValues */
export const ShutdownFlags = {
  DEFAULT: 0,
  ACPI_POWER_BTN: 1 << 0,
  GUEST_AGENT: 1 << 1,
  INITCTL: 1 << 2,
  SIGNAL: 1 << 3,
  PARAVIRT: 1 << 4,
} as const;

/** virDomainDestroyFlagsValues */
export const DestroyFlags = {
  DEFAULT: 0,
  GRACEFUL: 1 << 0,
} as const;

/** virDomainUndefineFlagsValues */
export const UndefineFlags = {
  MANAGED_SAVE: 1 << 0,
  SNAPSHOTS_METADATA: 1 << 1,
  NVRAM: 1 << 2,
  KEEP_NVRAM: 1 << 3,
  CHECKPOINTS_METADATA: 1 << 4,
} as const;

/** virDomainXMLFlags */
export const DomainXMLFlags = {
  SECURE: 1 << 0,
  INACTIVE: 1 << 1,
  UPDATE_CPU: 1 << 2,
  MIGRATABLE: 1 << 3,
} as const;

/** virDomainDeviceModifyFlags */
export const DeviceModifyFlags = {
  CURRENT: 0,
  LIVE: 1 << 0,
  CONFIG: 1 << 1,
} as const;

/** virDomainCreateFlags */
export const CreateFlags = {
  NONE: 0,
  START_PAUSED: 1 << 0,
  AUTODESTROY: 1 << 1,
  BYPASS_CACHE: 1 << 2,
  FORCE_BOOT: 1 << 3,
  VALIDATE: 1 << 4,
} as const;

/** virDomainDefineFlags */
export const DefineFlags = {
  VALIDATE: 1 << 0,
} as const;

/** virConnectListAllDomainsFlags (subset) */
export const ListFlags = {
  ALL: 0,
  ACTIVE: 1 << 0,
  INACTIVE: 1 << 1,
  PERSISTENT: 1 << 2,
  TRANSIENT: 1 << 3,
} as const;
