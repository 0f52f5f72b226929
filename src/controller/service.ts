// The controller's decision logic, one method per RPC (server.ts maps the
// protos onto these). Create, stop, start and the restart recovery live
// here; the delete family is in deletes.ts, the volume records in volumes.ts
// and volume-admin.ts.
import { Conflict, FailedPrecondition, InvalidArgument, Unavailable } from '../errors';
import * as deletes from './deletes';
import {
  agentCall, claim, clientError, complete, powerOff, powerOn, powerStateOf, precondition, reason, seconds, unreachable,
  type Claim, type Deps,
} from './lifecycle';
import type { InstanceChange, InstanceFilter } from './store';
import type { ActionRow, InstanceRow, InstanceView, Outcome, QuotaCounts, QuotaLimits, RequestContext, VolumeRow, VolumeStatus } from './types';
import * as volumeAdmin from './volume-admin';
import {
  checkFileDisks, connectionInfoField, countField, fileDisksOf, MAX_MEMORY_MIB, MAX_VCPUS, nameField, prepareDomainXml,
  projectField, targetDevField, uuidField, volumeIdField, volumeSpecs,
} from './validate';
import * as volumes from './volumes';

/** How long an agent's reported instances path is trusted before it is asked again. */
const INSTANCES_PATH_TTL_MS = 300_000;

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
  /** host → the agent's instances_path (GetHostInfo), asked at create and kept a while. */
  private readonly instancesPaths = new Map<string, { path: string; at: number }>();

  constructor(readonly deps: Deps) {}

  /** The host's instances directory as its agent reports it (cached per host). */
  private async instancesPathOf(host: string): Promise<string> {
    const now = Date.now();
    const hit = this.instancesPaths.get(host);
    if (hit && now - hit.at < INSTANCES_PATH_TTL_MS) return hit.path;
    const info = await agentCall(this.deps, host, 'GetHostInfo', {}, { deadlineMs: seconds(this.deps.config.agentTimeoutSeconds), idempotent: true });
    const p = info.instances_path;
    if (!p.startsWith('/')) {
      throw new FailedPrecondition(`the agent on host ${host} does not report its instances path; file disks cannot be checked there`);
    }
    this.instancesPaths.set(host, { path: p, at: now });
    return p;
  }

  private view(row: InstanceRow, warnings?: string[]): InstanceView {
    return { instance: row, volumes: this.deps.store.volumesOf(row.uuid), ...(warnings && warnings.length > 0 ? { warnings } : {}) };
  }

  private outcomeView(o: Outcome): InstanceView {
    return this.view(o.row, o.warnings);
  }

  /** Calls that need the host fail fast, changing nothing, while it is down. */
  private requireHostUp(host: string, what: string): void {
    if (this.deps.liveness.isDown(host)) throw new Unavailable(`${this.deps.liveness.describe(host)}; ${what}`);
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
    this.requireHostUp(host, 'nothing was created');
    // File disks only in the instance's own directory on that host (asked of its agent only when there are any).
    const volumeTargets = new Set(specs.map((s) => s.target_dev));
    if (fileDisksOf(domain.xml, volumeTargets).length > 0) {
      let instancesPath: string;
      try {
        instancesPath = await this.instancesPathOf(host);
      } catch (err) {
        throw clientError(err, `checking the disks of instance ${uuid} against host ${host}`);
      }
      checkFileDisks(domain.xml, uuid, instancesPath, volumeTargets, host);
    }

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
      if (res.uuid !== '' && res.uuid.toLowerCase() !== uuid) {
        throw new Conflict(`agent defined domain ${res.uuid}, expected ${uuid}`);
      }
      const row = complete(this.deps, c, { vm_state: 'active', task_state: 'none', launched: 1, power_state: powerStateOf(res, 'RUNNING') }, 'success',
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
      this.requireHostUp(row.host, `instance ${uuid} is unchanged`);
      return { task_state: 'powering_off' };
    });
    if ('ignored' in r) return this.view(r.ignored);
    const c = r.claimed;
    try {
      const res = await powerOff(this.deps, c.row, c.agentRequestId);
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
      this.requireHostUp(row.host, `instance ${uuid} is unchanged`);
      return { task_state: 'powering_on' };
    });
    if ('ignored' in r) return this.view(r.ignored);
    const c = r.claimed;
    try {
      const res = await powerOn(this.deps, c.row, c.agentRequestId);
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
    return this.outcomeView(await deletes.deleteInstance(this.deps, uuidField(uuid), ctx));
  }

  /** `force`: the record ends deleted whatever the agent says (its errors come back as warnings). */
  async forceDeleteInstance(uuid: string | undefined, ctx: RequestContext, force = false): Promise<InstanceView> {
    return this.outcomeView(await deletes.forceDeleteInstance(this.deps, uuidField(uuid), force === true, ctx));
  }

  async restoreInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.outcomeView(await deletes.restoreInstance(this.deps, uuidField(uuid), ctx));
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

  /** Administrator: set a volume's status in the records only (available, in-use, error_detaching). */
  resetVolumeState(volumeId: string | undefined, status: VolumeStatus | undefined, ctx: RequestContext): VolumeRow {
    if (status === undefined || !volumeAdmin.RESETTABLE_STATUSES.includes(status)) {
      throw new InvalidArgument('status', `must be one of ${volumeAdmin.RESETTABLE_STATUSES.map((v) => `VOLUME_STATUS_${v.toUpperCase().replace('-', '_')}`).join(', ')}`);
    }
    return volumeAdmin.resetVolumeState(this.deps, volumeIdField(volumeId), status, ctx);
  }

  /** Administrator: host-side disconnect ignoring errors, then available. */
  forceDetachVolume(volumeId: string | undefined, ctx: RequestContext): Promise<{ volume: VolumeRow; warnings: string[] }> {
    return volumeAdmin.forceDetachVolume(this.deps, volumeIdField(volumeId), ctx);
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
   * stopped mid-operation are put where a later call (or the periodic task)
   * can finish the job, never into a state with less data than they had:
   *  - soft_deleting → soft deleted in the records, power-off pending;
   *  - restoring, or a pending power-off running → soft deleted, power-off pending;
   *  - a reclaim or hard delete of a soft-deleted row → soft deleted (retried);
   *  - anything else (spawning, stop, start, a hard delete) → error, with the
   *    quota as before the task (a create's reservation released); error can
   *    always be deleted again.
   * Running detaches become pending; open actions are closed.
   */
  recoverInterrupted(): number {
    const { store } = this.deps;
    const now = store.clock.now();
    return store.tx(() => {
      const rows = store.interrupted();
      for (const row of rows) {
        const why = `controller restarted during ${row.task_state}`;
        let change: InstanceChange;
        if (row.task_state === 'soft_deleting') {
          change = { vm_state: 'soft_deleted', task_state: 'none', deleted_at: now, quota_held: 0, pending_power_off: 1, error: null };
        } else if (row.vm_state === 'soft_deleted') {
          const offAgain = row.task_state === 'restoring' || row.task_state === 'powering_off' || row.pending_power_off === 1;
          change = { task_state: 'none', quota_held: 0, pending_power_off: offAgain ? 1 : 0 };
        } else {
          const released = row.task_state === 'spawning';
          change = { vm_state: 'error', task_state: 'none', error: why, ...(released ? { quota_held: 0 as const } : {}) };
        }
        store.cas(row.uuid, { vm: [row.vm_state], task: [row.task_state] }, change);
        if (row.task_state === 'spawning') for (const v of store.volumesOf(row.uuid)) store.detachVolume(v.id, row.uuid, ['attaching']);
        this.deps.logger.warn({ uuid: row.uuid, vm_state: row.vm_state, task_state: row.task_state, now: change.vm_state ?? row.vm_state }, why);
      }
      const pended = store.pendDetachingVolumes();
      if (pended > 0) this.deps.logger.warn({ volumes: pended }, 'detaches interrupted by the restart are pending: retried by the periodic task');
      store.closeOpenActions('interrupted by a controller restart');
      return rows.length;
    });
  }
}
