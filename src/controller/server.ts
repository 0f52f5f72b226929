// virtcontroller.v1.Controller: proto messages <-> ControllerService, nothing else.
import { randomUUID } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

import type * as grpc from '@grpc/grpc-js';

import { InvalidArgument } from '../errors';
import type { Timestamp__Output } from '../generated/google/protobuf/Timestamp';
import type {
  InstanceAction__Output, Instance__Output, PowerState__Output, TaskState__Output, VmState__Output, VolumeStatus__Output, Volume__Output,
} from '../generated/virtcontroller/v1';
import type { ControllerCallRequest, ControllerHandlers, ControllerMethod, ControllerResponse } from '../grpc/contract';
import { isRequestId } from '../ids';
import { unary, type CallObserver, type UnaryHandler } from '../grpc/status';
import { describeSubject } from '../grpc/tls';
import { hostHandlers } from './host-rpcs';
import type { HostRegistry } from './hosts';
import type { ControllerService } from './service';
import {
  parseConnectionInfo, VM_STATES, VOLUME_STATUSES, type ActionRow, type InstanceView, type PowerState, type RequestContext, type TaskState,
  type VmState, type VolumeRow, type VolumeStatus,
} from './types';

function timestamp(ms: number | null): Timestamp__Output | null {
  if (ms === null) return null;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

// The stored state names and the proto's enum names, one to one: a state
// added to types.ts without its proto value (or the other way) does not compile.
const VM_STATE_NAMES = {
  building: 'VM_STATE_BUILDING', active: 'VM_STATE_ACTIVE', stopped: 'VM_STATE_STOPPED', soft_deleted: 'VM_STATE_SOFT_DELETED',
  deleted: 'VM_STATE_DELETED', error: 'VM_STATE_ERROR',
} as const satisfies Record<VmState, Exclude<VmState__Output, 'VM_STATE_UNSPECIFIED'>>;
const TASK_STATE_NAMES = {
  none: 'TASK_STATE_NONE', spawning: 'TASK_STATE_SPAWNING', powering_off: 'TASK_STATE_POWERING_OFF', powering_on: 'TASK_STATE_POWERING_ON',
  soft_deleting: 'TASK_STATE_SOFT_DELETING', restoring: 'TASK_STATE_RESTORING', deleting: 'TASK_STATE_DELETING',
} as const satisfies Record<TaskState, Exclude<TaskState__Output, 'TASK_STATE_UNSPECIFIED'>>;
const VOLUME_STATUS_NAMES = {
  available: 'VOLUME_STATUS_AVAILABLE', attaching: 'VOLUME_STATUS_ATTACHING', 'in-use': 'VOLUME_STATUS_IN_USE', detaching: 'VOLUME_STATUS_DETACHING',
  error_detaching: 'VOLUME_STATUS_ERROR_DETACHING',
} as const satisfies Record<VolumeStatus, Exclude<VolumeStatus__Output, 'VOLUME_STATUS_UNSPECIFIED'>>;
const POWER_STATE_NAMES = {
  NOSTATE: 'POWER_STATE_NOSTATE', RUNNING: 'POWER_STATE_RUNNING', BLOCKED: 'POWER_STATE_BLOCKED', PAUSED: 'POWER_STATE_PAUSED',
  SHUTDOWN: 'POWER_STATE_SHUTDOWN', SHUTOFF: 'POWER_STATE_SHUTOFF', CRASHED: 'POWER_STATE_CRASHED', PMSUSPENDED: 'POWER_STATE_PMSUSPENDED',
} as const satisfies Record<PowerState, PowerState__Output>;

/** The proto name of a volume status (VOLUME_STATUS_IN_USE for in-use). */
export function volumeStatusName(status: VolumeStatus): VolumeStatus__Output {
  return VOLUME_STATUS_NAMES[status];
}

export function volumeMessage(v: VolumeRow): Volume__Output {
  return {
    volume_id: v.id,
    instance_uuid: v.instance_uuid ?? '',
    status: VOLUME_STATUS_NAMES[v.status],
    target_dev: v.target_dev ?? '',
    connection_info: parseConnectionInfo(v.connection_info) ?? null,
    delete_on_termination: v.delete_on_termination === 1,
    error: v.error ?? '',
    detach_pending: v.detach_pending === 1,
    detach_attempts: v.detach_attempts,
    warnings: [],
  };
}

export function instanceMessage({ instance: i, volumes, warnings }: InstanceView): Instance__Output {
  return {
    uuid: i.uuid,
    name: i.name,
    project_id: i.project_id,
    host: i.host,
    vm_state: VM_STATE_NAMES[i.vm_state],
    task_state: TASK_STATE_NAMES[i.task_state],
    // An unknown stored name (a newer build's) reads as NOSTATE rather than failing the call.
    power_state: (POWER_STATE_NAMES as Partial<Record<string, PowerState__Output>>)[i.power_state] ?? 'POWER_STATE_NOSTATE',
    deleted_at: timestamp(i.deleted_at),
    volumes: volumes.map(volumeMessage),
    vcpus: i.vcpus,
    memory_mib: i.memory_mib,
    created_at: timestamp(i.created_at),
    updated_at: timestamp(i.updated_at),
    error: i.error ?? '',
    needs_host_cleanup: i.needs_host_cleanup === 1,
    pending_power_off: i.pending_power_off === 1,
    power_off_attempts: i.power_off_attempts,
    power_off_error: i.power_off_error ?? '',
    reclaim_attempts: i.reclaim_attempts,
    reclaim_error: i.reclaim_error ?? '',
    next_reclaim_at: timestamp(i.reclaim_next_at),
    cleanup_attempts: i.cleanup_attempts,
    cleanup_error: i.cleanup_error ?? '',
    warnings: warnings ?? [],
  };
}

function actionMessage(a: ActionRow): InstanceAction__Output {
  return {
    instance_uuid: a.instance_uuid,
    action: a.action,
    request_id: a.request_id,
    user: a.user_id,
    started_at: timestamp(a.started_at),
    finished_at: timestamp(a.finished_at),
    result: a.result ?? '',
    message: a.message ?? '',
    agent_request_id: a.agent_request_id ?? '',
  };
}

/** VM_STATE_* → stored state; unset/UNSPECIFIED → undefined. */
export function vmStateFilter(value: unknown): VmState | undefined {
  if (value === undefined || value === null || value === '' || value === 'VM_STATE_UNSPECIFIED' || value === 0) return undefined;
  const s = typeof value === 'string' && value.startsWith('VM_STATE_') ? value.slice('VM_STATE_'.length).toLowerCase() : '';
  if (!(VM_STATES as readonly string[]).includes(s)) throw new InvalidArgument('vm_state', `unknown state ${JSON.stringify(value)}`);
  return s as VmState;
}

/** VOLUME_STATUS_* (or the stored name) → stored status; anything else → undefined. */
export function volumeStatusOf(value: unknown): VolumeStatus | undefined {
  if (typeof value !== 'string') return undefined;
  const stored = (VOLUME_STATUSES as readonly string[]).includes(value) ? value : undefined;
  return (stored ?? VOLUME_STATUSES.find((s) => VOLUME_STATUS_NAMES[s] === value)) as VolumeStatus | undefined;
}

function first(md: grpc.Metadata, key: string): string {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : '';
}

/**
 * How the controller's port authenticates callers, which decides whose name
 * goes into the action log (see requestContext).
 */
export type CallerIdentity = 'tls' | 'plaintext-loopback' | 'unix-socket';

type CallLike = { metadata: grpc.Metadata; getAuthContext?: () => { sslPeerCertificate?: PeerCertificate } | null };

/**
 * Request id (x-request-id; generated when absent or malformed) and the user
 * for the action log: with TLS the client certificate's subject (any x-user
 * is ignored); on plaintext loopback TCP (development only) the x-user
 * metadata, else "anonymous"; on the unix socket "unix-socket" (only its
 * owner can connect). Never taken from metadata a remote caller controls.
 */
export function requestContext(call: CallLike, identity: CallerIdentity = 'plaintext-loopback'): RequestContext {
  const rid = first(call.metadata, 'x-request-id');
  const requestId = isRequestId(rid) ? rid : `req-${randomUUID()}`;
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (cert) return { requestId, user: describeSubject(cert).replace(/\p{Cc}/gu, '').slice(0, 255) };
  if (identity === 'plaintext-loopback') {
    const user = first(call.metadata, 'x-user').replace(/\p{Cc}/gu, '').slice(0, 255);
    return { requestId, user: user || 'anonymous' };
  }
  return { requestId, user: identity === 'unix-socket' ? 'unix-socket' : 'anonymous' };
}

/** A unary Controller handler: the decoded request in, the complete response out. */
type Rpc<M extends ControllerMethod> = UnaryHandler<ControllerCallRequest<M>, ControllerResponse<M>>;

export function controllerService(svc: ControllerService, observer?: CallObserver, identity: CallerIdentity = 'plaintext-loopback',
  hosts?: HostRegistry): ControllerHandlers {
  const context = (call: CallLike) => requestContext(call, identity);
  const rpc = <M extends ControllerMethod>(handler: Rpc<M>) => unary(handler, observer);
  return {
    CreateInstance: rpc<'CreateInstance'>(async (call) => instanceMessage(await svc.createInstance(call.request, context(call)))),
    GetInstance: rpc<'GetInstance'>(async (call) => instanceMessage(await svc.getInstance(call.request.uuid))),
    DeleteInstance: rpc<'DeleteInstance'>(async (call) => instanceMessage(await svc.deleteInstance(call.request.uuid, context(call)))),
    RestoreInstance: rpc<'RestoreInstance'>(async (call) => instanceMessage(await svc.restoreInstance(call.request.uuid, context(call)))),
    ForceDeleteInstance: rpc<'ForceDeleteInstance'>(async (call) =>
      instanceMessage(await svc.forceDeleteInstance(call.request.uuid, context(call), call.request.force))),
    StopInstance: rpc<'StopInstance'>(async (call) => instanceMessage(await svc.stopInstance(call.request.uuid, context(call)))),
    StartInstance: rpc<'StartInstance'>(async (call) => instanceMessage(await svc.startInstance(call.request.uuid, context(call)))),

    ListInstances: rpc<'ListInstances'>(async (call) => {
      const req = call.request;
      const views = await svc.listInstances({ project_id: req.project_id || undefined, host: req.host || undefined, vm_state: vmStateFilter(req.vm_state) });
      return { instances: views.map(instanceMessage) };
    }),

    AttachVolume: rpc<'AttachVolume'>(async (call) => volumeMessage(await svc.attachVolume(call.request, context(call)))),
    DetachVolume: rpc<'DetachVolume'>(async (call) =>
      volumeMessage(await svc.detachVolume(call.request.uuid, call.request.volume_id, context(call)))),
    ResetVolumeState: rpc<'ResetVolumeState'>(async (call) =>
      volumeMessage(await svc.resetVolumeState(call.request.volume_id, volumeStatusOf(call.request.status), context(call)))),
    ForceDetachVolume: rpc<'ForceDetachVolume'>(async (call) => {
      const { volume, warnings } = await svc.forceDetachVolume(call.request.volume_id, context(call));
      return { ...volumeMessage(volume), warnings };
    }),

    GetQuotaUsage: rpc<'GetQuotaUsage'>(async (call) => {
      const q = await svc.quotaUsage(call.request.project_id);
      return {
        project_id: q.projectId,
        limits: { instances: q.limits.instances, vcpus: q.limits.vcpus, memory_mib: q.limits.memoryMib },
        in_use: { instances: q.inUse.instances, vcpus: q.inUse.vcpus, memory_mib: q.inUse.memoryMib },
      };
    }),

    ListInstanceActions: rpc<'ListInstanceActions'>(async (call) => ({ actions: (await svc.listInstanceActions(call.request.uuid)).map(actionMessage) })),
    ...hostHandlers(hosts, observer),
  };
}
