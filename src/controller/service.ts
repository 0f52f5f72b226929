// ControllerService: one method per Controller RPC (server.ts maps the protos
// onto these). Each checks the request's fields, runs the module that owns
// the operation, and answers the records as the RPC returns them (an
// instance with its volumes). The operations themselves: instances.ts
// (create, stop, start), deletes.ts (the delete family), volumes.ts and
// volume-admin.ts (volume records), recovery.ts (restart recovery).
import { InvalidArgument } from '../errors';
import type { AttachVolumeRequest, CreateInstanceRequest } from '../generated/virtcontroller/v1';
import * as deletes from './deletes';
import type { Deps } from './deps';
import { createInstance, InstancesPaths, startInstance, stopInstance } from './instances';
import { recoverInterrupted } from './recovery';
import type { InstanceFilter } from './store';
import type { ActionRow, InstanceRow, InstanceView, Outcome, QuotaCounts, QuotaLimits, RequestContext, VolumeRow, VolumeStatus } from './types';
import { connectionInfoField, projectField, targetDevField, uuidField, volumeIdField } from './validate';
import * as volumeAdmin from './volume-admin';
import * as volumes from './volumes';

export class ControllerService {
  private readonly instancesPaths = new InstancesPaths();

  constructor(readonly deps: Deps) {}

  private async view(row: InstanceRow, warnings?: string[]): Promise<InstanceView> {
    return { instance: row, volumes: await this.deps.store.volumesOf(row.uuid), ...(warnings && warnings.length > 0 ? { warnings } : {}) };
  }

  private outcomeView(o: Outcome): Promise<InstanceView> {
    return this.view(o.row, o.warnings);
  }

  async getInstance(uuid: string | undefined): Promise<InstanceView> {
    return this.view(await this.deps.store.requireInstance(uuidField(uuid)));
  }

  async listInstances(filter: InstanceFilter): Promise<InstanceView[]> {
    if (filter.project_id) projectField(filter.project_id);
    return Promise.all((await this.deps.store.listInstances(filter)).map((r) => this.view(r)));
  }

  async createInstance(req: CreateInstanceRequest, ctx: RequestContext): Promise<InstanceView> {
    return this.view(await createInstance(this.deps, this.instancesPaths, req, ctx));
  }

  async stopInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.view(await stopInstance(this.deps, uuid, ctx));
  }

  async startInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.view(await startInstance(this.deps, uuid, ctx));
  }

  async deleteInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.outcomeView(await deletes.deleteInstance(this.deps, uuidField(uuid), ctx));
  }

  /** `force`: the record ends deleted whatever the agent says (its errors come back as warnings). */
  async forceDeleteInstance(uuid: string | undefined, ctx: RequestContext, force = false): Promise<InstanceView> {
    return this.outcomeView(await deletes.forceDeleteInstance(this.deps, uuidField(uuid), force, ctx));
  }

  async restoreInstance(uuid: string | undefined, ctx: RequestContext): Promise<InstanceView> {
    return this.outcomeView(await deletes.restoreInstance(this.deps, uuidField(uuid), ctx));
  }

  attachVolume(req: AttachVolumeRequest, ctx: RequestContext): Promise<VolumeRow> {
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
  resetVolumeState(volumeId: string | undefined, status: VolumeStatus | undefined, ctx: RequestContext): Promise<VolumeRow> {
    if (status === undefined || !volumeAdmin.RESETTABLE_STATUSES.includes(status)) {
      throw new InvalidArgument('status', `must be one of ${volumeAdmin.RESETTABLE_STATUSES.map((v) => `VOLUME_STATUS_${v.toUpperCase().replace('-', '_')}`).join(', ')}`);
    }
    return volumeAdmin.resetVolumeState(this.deps, volumeIdField(volumeId), status, ctx);
  }

  /** Administrator: host-side disconnect ignoring errors, then available. */
  forceDetachVolume(volumeId: string | undefined, ctx: RequestContext): Promise<{ volume: VolumeRow; warnings: string[] }> {
    return volumeAdmin.forceDetachVolume(this.deps, volumeIdField(volumeId), ctx);
  }

  async quotaUsage(projectIdIn: string | undefined): Promise<{ projectId: string; limits: QuotaLimits; inUse: QuotaCounts }> {
    const projectId = projectField(projectIdIn);
    const { quota } = this.deps;
    return { projectId, limits: quota.limitsFor(projectId), inUse: await quota.usage(projectId) };
  }

  async listInstanceActions(uuid: string | undefined): Promise<ActionRow[]> {
    const id = uuidField(uuid);
    await this.deps.store.requireInstance(id);
    return this.deps.store.actions(id);
  }

  /** At start-up, before serving (recovery.ts). Returns how many instances were left in a task. */
  recoverInterrupted(): Promise<number> {
    return recoverInterrupted(this.deps);
  }
}
