// virtcontroller.v1.Controller: proto messages <-> ControllerService, nothing else.
import { randomUUID } from 'node:crypto';

import type * as grpc from '@grpc/grpc-js';

import { InvalidArgument } from '../errors';
import { unary, type CallObserver } from '../grpc/status';
import type { ControllerService } from './service';
import {
  parseConnectionInfo, VM_STATES, type ActionRow, type InstanceView, type RequestContext, type VmState, type VolumeRow,
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
  };
}

export function instanceMessage({ instance: i, volumes }: InstanceView): Msg {
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

function first(md: grpc.Metadata, key: string): string {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : '';
}

/** Request id and user from the call's metadata (x-request-id, x-user). */
export function requestContext(call: { metadata: grpc.Metadata }): RequestContext {
  const rid = first(call.metadata, 'x-request-id');
  const user = first(call.metadata, 'x-user').replace(/\p{Cc}/gu, '').slice(0, 255);
  return { requestId: REQUEST_ID_RE.test(rid) ? rid : `req-${randomUUID()}`, user: user || 'anonymous' };
}

export function controllerService(svc: ControllerService, observer?: CallObserver): grpc.UntypedServiceImplementation {
  const instanceCall = (fn: (req: Msg, ctx: RequestContext) => Promise<InstanceView> | InstanceView) =>
    unary<Msg, Msg>(async (call) => instanceMessage(await fn(call.request, requestContext(call))), observer);
  return {
    CreateInstance: instanceCall((req, ctx) => svc.createInstance(req, ctx)),
    GetInstance: instanceCall((req) => svc.getInstance(req.uuid)),
    DeleteInstance: instanceCall((req, ctx) => svc.deleteInstance(req.uuid, ctx)),
    RestoreInstance: instanceCall((req, ctx) => svc.restoreInstance(req.uuid, ctx)),
    ForceDeleteInstance: instanceCall((req, ctx) => svc.forceDeleteInstance(req.uuid, ctx)),
    StopInstance: instanceCall((req, ctx) => svc.stopInstance(req.uuid, ctx)),
    StartInstance: instanceCall((req, ctx) => svc.startInstance(req.uuid, ctx)),

    ListInstances: unary<Msg, Msg>(async (call) => {
      const req = call.request;
      const views = svc.listInstances({ project_id: req.project_id || undefined, host: req.host || undefined, vm_state: vmStateFilter(req.vm_state) });
      return { instances: views.map(instanceMessage) };
    }, observer),

    AttachVolume: unary<Msg, Msg>(async (call) => volumeMessage(svc.attachVolume(call.request, requestContext(call))), observer),
    DetachVolume: unary<Msg, Msg>(
      async (call) => volumeMessage(await svc.detachVolume(call.request.uuid, call.request.volume_id, requestContext(call))),
      observer,
    ),

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
