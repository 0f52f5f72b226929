// virtcontroller.v1.Controller: proto messages <-> ControllerService, nothing else.
import { randomUUID } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

import type * as grpc from '@grpc/grpc-js';

import { InvalidArgument } from '../errors';
import { unary, type CallObserver } from '../grpc/status';
import { describeSubject } from '../grpc/tls';
import type { ControllerService } from './service';
import {
  parseConnectionInfo, VM_STATES, VOLUME_STATUSES, type ActionRow, type InstanceView, type RequestContext, type VmState, type VolumeRow,
  type VolumeStatus,
} from './types';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader messages are plain objects */
type Msg = Record<string, any>;

export const CONTROLLER_SERVICE = 'virtcontroller.v1.Controller';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

function timestamp(ms: number | null): Msg | null {
  if (ms === null) return null;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

const upper = (s: string) => s.toUpperCase().replace(/-/g, '_');

export function volumeMessage(v: VolumeRow): Msg {
  const info = parseConnectionInfo(v.connection_info);
  return {
    volume_id: v.id,
    instance_uuid: v.instance_uuid ?? '',
    status: `VOLUME_STATUS_${upper(v.status)}`,
    target_dev: v.target_dev ?? '',
    connection_info: info ?? null,
    delete_on_termination: v.delete_on_termination === 1,
    error: v.error ?? '',
    detach_pending: v.detach_pending === 1,
    detach_attempts: v.detach_attempts,
  };
}

export function instanceMessage({ instance: i, volumes, warnings }: InstanceView): Msg {
  return {
    uuid: i.uuid,
    name: i.name,
    project_id: i.project_id,
    host: i.host,
    vm_state: `VM_STATE_${upper(i.vm_state)}`,
    task_state: `TASK_STATE_${upper(i.task_state)}`,
    power_state: `POWER_STATE_${i.power_state}`,
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

function actionMessage(a: ActionRow): Msg {
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
  const s = value.startsWith('VOLUME_STATUS_') ? value.slice('VOLUME_STATUS_'.length).toLowerCase().replace(/^in_use$/, 'in-use') : value;
  return (VOLUME_STATUSES as readonly string[]).includes(s) ? (s as VolumeStatus) : undefined;
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
  const requestId = REQUEST_ID_RE.test(rid) ? rid : `req-${randomUUID()}`;
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (cert) return { requestId, user: describeSubject(cert).replace(/\p{Cc}/gu, '').slice(0, 255) };
  if (identity === 'plaintext-loopback') {
    const user = first(call.metadata, 'x-user').replace(/\p{Cc}/gu, '').slice(0, 255);
    return { requestId, user: user || 'anonymous' };
  }
  return { requestId, user: identity === 'unix-socket' ? 'unix-socket' : 'anonymous' };
}

export function controllerService(svc: ControllerService, observer?: CallObserver, identity: CallerIdentity = 'plaintext-loopback')
  : grpc.UntypedServiceImplementation {
  const context = (call: CallLike) => requestContext(call, identity);
  const instanceCall = (fn: (req: Msg, ctx: RequestContext) => Promise<InstanceView> | InstanceView) =>
    unary<Msg, Msg>(async (call) => instanceMessage(await fn(call.request, context(call))), observer);
  return {
    CreateInstance: instanceCall((req, ctx) => svc.createInstance(req, ctx)),
    GetInstance: instanceCall((req) => svc.getInstance(req.uuid)),
    DeleteInstance: instanceCall((req, ctx) => svc.deleteInstance(req.uuid, ctx)),
    RestoreInstance: instanceCall((req, ctx) => svc.restoreInstance(req.uuid, ctx)),
    ForceDeleteInstance: instanceCall((req, ctx) => svc.forceDeleteInstance(req.uuid, ctx, req.force === true)),
    StopInstance: instanceCall((req, ctx) => svc.stopInstance(req.uuid, ctx)),
    StartInstance: instanceCall((req, ctx) => svc.startInstance(req.uuid, ctx)),

    ListInstances: unary<Msg, Msg>(async (call) => {
      const req = call.request;
      const views = svc.listInstances({ project_id: req.project_id || undefined, host: req.host || undefined, vm_state: vmStateFilter(req.vm_state) });
      return { instances: views.map(instanceMessage) };
    }, observer),

    AttachVolume: unary<Msg, Msg>(async (call) => volumeMessage(svc.attachVolume(call.request, context(call))), observer),
    DetachVolume: unary<Msg, Msg>(
      async (call) => volumeMessage(await svc.detachVolume(call.request.uuid, call.request.volume_id, context(call))),
      observer,
    ),
    ResetVolumeState: unary<Msg, Msg>(async (call) =>
      volumeMessage(svc.resetVolumeState(call.request.volume_id, volumeStatusOf(call.request.status), context(call))), observer),
    ForceDetachVolume: unary<Msg, Msg>(async (call) => {
      const { volume, warnings } = await svc.forceDetachVolume(call.request.volume_id, context(call));
      return { ...volumeMessage(volume), warnings };
    }, observer),

    GetQuotaUsage: unary<Msg, Msg>(async (call) => {
      const q = svc.quotaUsage(call.request.project_id);
      return {
        project_id: q.projectId,
        limits: { instances: q.limits.instances, vcpus: q.limits.vcpus, memory_mib: q.limits.memoryMib },
        in_use: { instances: q.inUse.instances, vcpus: q.inUse.vcpus, memory_mib: q.inUse.memoryMib },
      };
    }, observer),

    ListInstanceActions: unary<Msg, Msg>(async (call) => ({ actions: svc.listInstanceActions(call.request.uuid).map(actionMessage) }), observer),
  };
}
