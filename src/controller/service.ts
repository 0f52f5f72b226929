// The controller's decision logic, one method per RPC (server.ts maps the
// protos onto these). Create, stop and start live here; the delete family is
// in deletes.ts and the volume records in volumes.ts.
import { Conflict, FailedPrecondition, InvalidArgument, Unavailable } from '../errors';
import * as deletes from './deletes';
import {
  agentCall, claim, clientError, complete, powerStateOf, precondition, reason, seconds, unreachable, waitDeadlineMs,
  type Claim, type Deps,
} from './lifecycle';
import type { InstanceFilter } from './store';
import type { ActionRow, InstanceRow, InstanceView, QuotaCounts, QuotaLimits, RequestContext, VmState, VolumeRow } from './types';
import {
  connectionInfoField, countField, MAX_MEMORY_MIB, MAX_VCPUS, nameField, prepareDomainXml, projectField, targetDevField,
  uuidField, volumeIdField, volumeSpecs,
} from './validate';
import * as volumes from './volumes';

export interface CreateInstanceInput {
  name?: string;
  project_id?: string;
  host?: string;
  domain_xml?: string;
  vcpus?: number;
  memory_mib?: number;
  volumes?: unknown[];
}

export interface AttachVolumeInput {
  uuid?: string;
  volume_id?: string;
  target_dev?: string;
  connection_info?: unknown;
  delete_on_termination?: boolean;
}

export class ControllerService {
  constructor(readonly deps: Deps) {}

  private view(row: InstanceRow): InstanceView {
    return { instance: row, volumes: this.deps.store.volumesOf(row.uuid) };
  }

  getInstance(uuid: string | undefined): InstanceView {
    return this.view(this.deps.store.requireInstance(uuidField(uuid)));
  }

  listInstances(filter: InstanceFilter): InstanceView[] {
    if (filter.project_id) projectField(filter.project_id);
    return this.deps.store.listInstances(filter).map((r) => this.view(r));
  }

  /** Reserve quota and record the instance, define + start it on the host, then active (or error, quota released). */
  async createInstance(req: CreateInstanceInput, ctx: RequestContext): Promise<InstanceView> {
    const { store, quota, agents } = this.deps;
    const name = nameField(req.name);
    const projectId = projectField(req.project_id);
    const host = typeof req.host === 'string' ? req.host : '';
    if (host === '') throw new InvalidArgument('host', 'is required');
    if (!agents.has(host)) throw new InvalidArgument('host', `unknown host ${JSON.stringify(host.slice(0, 64))} (known: ${agents.hostNames().join(', ') || 'none'})`);
    const vcpus = countField(req.vcpus, 'vcpus', MAX_VCPUS);
    const memoryMib = countField(req.memory_mib, 'memory_mib', MAX_MEMORY_MIB);
    const specs = volumeSpecs(req.volumes);
    const domain = prepareDomainXml(req.domain_xml ?? '', { vcpus, memoryMib });
    const uuid = domain.uuid;

    const actionId = store.tx(() => {
      if (store.getInstance(uuid)) throw new Conflict(`instance ${uuid} already exists (domain_xml <uuid>)`);
      quota.check(projectId, { instances: 1, vcpus, memoryMib });
      store.insertInstance({
        uuid, name, project_id: projectId, host, vcpus, memory_mib: memoryMib, vm_state: 'building', task_state: 'spawning', quota_held: 1,
      });
      specs.forEach((s, i) => {
        const ok = store.attachVolume({
          id: s.volume_id, instance_uuid: uuid, status: 'attaching', target_dev: s.target_dev,
          connection_info: JSON.stringify(s.connection_info), delete_on_termination: s.delete_on_termination ? 1 : 0,
        });
        if (!ok) {
          const v = store.requireVolume(s.volume_id);
          throw new FailedPrecondition(`volumes[${i}].volume_id: volume ${v.id} is ${v.status}${v.instance_uuid ? ` (instance ${v.instance_uuid})` : ''}`);
        }
      });
      return store.startAction(uuid, 'create', ctx).id;
    });
    const c: Claim = { row: store.requireInstance(uuid), before: store.requireInstance(uuid), actionId, action: 'create', requestId: ctx.requestId, agentRequestId: '' };

    try {
      const res = await agentCall(this.deps, host, 'DefineDomain', { xml: domain.xml, start: true },
        { deadlineMs: seconds(this.deps.config.agentTimeoutSeconds), idempotent: false });
      if (typeof res.uuid === 'string' && res.uuid.toLowerCase() !== uuid) {
        throw new Conflict(`agent defined domain ${res.uuid}, expected ${uuid}`);
      }
      const row = complete(this.deps, c, { vm_state: 'active', task_state: 'none', power_state: powerStateOf(res, 'RUNNING') }, 'success',
        undefined, () => { for (const s of specs) store.casVolume(s.volume_id, uuid, ['attaching'], { status: 'in-use' }); });
      return this.view(row);
    } catch (err) {
      complete(this.deps, c, { vm_state: 'error', task_state: 'none', quota_held: 0, error: `create failed: ${reason(err)}` },
        'error', reason(err), () => { for (const s of specs) store.detachVolume(s.volume_id, uuid, ['attaching']); });
      throw clientError(err, `creating instance ${uuid} on host ${host} failed`, 'domain_xml');
    }
  }

  /** active -> (PowerOff with the clean-shutdown budget) -> stopped. */
  async stopInstance(uuidIn: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    const uuid = uuidField(uuidIn);
    const r = claim(this.deps, uuid, ctx, 'stop', (row) => {
      if (row.vm_state !== 'active' || row.task_state !== 'none') throw precondition(row, 'only an active instance with no task can be stopped');
      return { task_state: 'powering_off' };
    });
    if ('ignored' in r) return this.view(r.ignored);
    const c = r.claimed;
    const timeout = this.deps.config.cleanShutdownTimeoutSeconds;
    try {
      const res = await agentCall(this.deps, c.row.host, 'PowerOff', { domain: { uuid }, timeout_seconds: timeout, request_id: c.agentRequestId },
        { deadlineMs: waitDeadlineMs(timeout), idempotent: true });
      return this.view(complete(this.deps, c, { vm_state: 'stopped', task_state: 'none', power_state: powerStateOf(res, 'SHUTOFF') }, 'success',
        res.clean === false ? 'the guest did not stop cleanly and was destroyed' : undefined));
    } catch (err) {
      return this.fail(c, err, 'stop', `stopping instance ${uuid} failed`);
    }
  }

  /** stopped -> (PowerOn) -> active. */
  async startInstance(uuidIn: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    const uuid = uuidField(uuidIn);
    const r = claim(this.deps, uuid, ctx, 'start', (row) => {
      if (row.vm_state !== 'stopped' || row.task_state !== 'none') throw precondition(row, 'only a stopped instance with no task can be started');
      return { task_state: 'powering_on' };
    });
    if ('ignored' in r) return this.view(r.ignored);
    const c = r.claimed;
    const wait = this.deps.config.powerOnTimeoutSeconds;
    try {
      const res = await agentCall(this.deps, c.row.host, 'PowerOn', { domain: { uuid }, wait_timeout_seconds: wait, request_id: c.agentRequestId },
        { deadlineMs: waitDeadlineMs(wait), idempotent: false });
      return this.view(complete(this.deps, c, { vm_state: 'active', task_state: 'none', power_state: powerStateOf(res, 'RUNNING') }, 'success'));
    } catch (err) {
      return this.fail(c, err, 'start', `starting instance ${uuid} failed`);
    }
  }

  /** Stop/start failures: unreachable agent = nothing happened (back as it was, UNAVAILABLE); else error. */
  private fail(c: Claim, err: unknown, what: string, message: string): never {
    if (unreachable(err)) {
      complete(this.deps, c, { task_state: 'none' }, 'error', reason(err));
      throw new Unavailable(`host ${c.row.host} is unreachable; instance ${c.row.uuid} is unchanged: ${reason(err)}`, { cause: err });
    }
    complete(this.deps, c, { vm_state: 'error', task_state: 'none', error: `${what} failed: ${reason(err)}` }, 'error', reason(err));
    throw clientError(err, message);
  }

  async deleteInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.view(await deletes.deleteInstance(this.deps, uuidField(uuid), ctx));
  }

  async forceDeleteInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.view(await deletes.forceDeleteInstance(this.deps, uuidField(uuid), ctx));
  }

  async restoreInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.view(await deletes.restoreInstance(this.deps, uuidField(uuid), ctx));
  }

  attachVolume(req: AttachVolumeInput, ctx: RequestContext): VolumeRow {
    const uuid = uuidField(req.uuid);
    const spec = {
      volume_id: volumeIdField(req.volume_id),
      target_dev: targetDevField(req.target_dev),
      connection_info: connectionInfoField(req.connection_info),
      delete_on_termination: req.delete_on_termination === true,
    };
    return volumes.attachVolume(this.deps, uuid, spec, ctx);
  }

  detachVolume(uuid: string | undefined, volumeId: string | undefined, ctx: RequestContext): Promise<VolumeRow> {
    return volumes.detachVolume(this.deps, uuidField(uuid), volumeIdField(volumeId), ctx);
  }

  quotaUsage(projectIdIn: string | undefined): { projectId: string; limits: QuotaLimits; inUse: QuotaCounts } {
    const projectId = projectField(projectIdIn);
    const { quota, store } = this.deps;
    return store.tx(() => ({ projectId, limits: quota.limitsFor(projectId), inUse: quota.usage(projectId) }));
  }

  listInstanceActions(uuid: string | undefined): ActionRow[] {
    const id = uuidField(uuid);
    this.deps.store.requireInstance(id);
    return this.deps.store.actions(id);
  }

  /**
   * At start-up, before serving: rows left in a task by a controller that
   * stopped mid-operation go to error (the quota back to what it was before
   * the task), detaching volumes to error_detaching, open actions closed.
   */
  recoverInterrupted(): number {
    const { store } = this.deps;
    return store.tx(() => {
      const rows = store.interrupted();
      for (const row of rows) {
        const released = row.task_state === 'spawning' || row.task_state === 'restoring';
        const why = `controller restarted during ${row.task_state}`;
        store.cas(row.uuid, { vm: [row.vm_state], task: [row.task_state] }, {
          vm_state: 'error' as VmState, task_state: 'none', error: why, deleted_at: null, ...(released ? { quota_held: 0 as const } : {}),
        });
        if (row.task_state === 'spawning') for (const v of store.volumesOf(row.uuid)) store.detachVolume(v.id, row.uuid, ['attaching']);
        this.deps.logger.warn({ uuid: row.uuid, task_state: row.task_state }, why);
      }
      store.db.prepare("UPDATE volumes SET status = 'error_detaching', error = 'controller restarted during detach' WHERE status = 'detaching'").run();
      store.db.prepare("UPDATE instance_actions SET finished_at = ?, result = 'error', message = 'interrupted by a controller restart' WHERE finished_at IS NULL")
        .run(store.clock.now());
      return rows.length;
    });
  }
}
