// Volume attachment records (Cinder's statuses): AttachVolume only records
// an attachment; DetachVolume claims it with a CAS in-use -> detaching, asks
// the agent to disconnect, then releases it (available) or marks it
// error_detaching with the reason, still attached.
import { FailedPrecondition, Unavailable } from '../errors';
import { agentCall, clientError, precondition, reason, seconds, unreachable, type Deps } from './lifecycle';
import { parseConnectionInfo, type ConnectionInfo, type RequestContext, type VolumeRow } from './types';
import type { VolumeSpec } from './validate';

/** virtagent.v1.VolumeAttachment */
export interface VolumeAttachmentMsg {
  volume_id: string;
  target_dev: string;
  connection_info?: ConnectionInfo;
}

export function attachmentOf(v: VolumeRow): VolumeAttachmentMsg {
  const info = parseConnectionInfo(v.connection_info);
  return { volume_id: v.id, target_dev: v.target_dev ?? '', ...(info ? { connection_info: info } : {}) };
}

/** Every attached volume (any status but available) with connection info, for Destroy. */
export function attachmentsOf(volumes: VolumeRow[]): VolumeAttachmentMsg[] {
  return volumes.filter((v) => v.status !== 'available' && v.connection_info !== null).map(attachmentOf);
}

function describeVolume(v: VolumeRow): string {
  return `volume ${v.id} is ${v.status}${v.instance_uuid ? ` (instance ${v.instance_uuid})` : ''}`;
}

/** Records an attachment: the volume must be new or available, the instance active or stopped with no task. */
export function attachVolume(deps: Deps, uuid: string, spec: VolumeSpec, ctx: RequestContext): VolumeRow {
  const { store } = deps;
  return store.tx(() => {
    const row = store.requireInstance(uuid);
    if (row.task_state !== 'none' || (row.vm_state !== 'active' && row.vm_state !== 'stopped')) {
      throw precondition(row, 'volumes can only be attached to an active or stopped instance with no task');
    }
    const clash = store.volumesOf(uuid).find((v) => v.target_dev === spec.target_dev);
    if (clash) throw new FailedPrecondition(`target ${spec.target_dev} of instance ${uuid} is used by volume ${clash.id}`);
    const ok = store.attachVolume({
      id: spec.volume_id, instance_uuid: uuid, status: 'in-use', target_dev: spec.target_dev,
      connection_info: JSON.stringify(spec.connection_info), delete_on_termination: spec.delete_on_termination ? 1 : 0,
    });
    if (!ok) throw new FailedPrecondition(`${describeVolume(store.requireVolume(spec.volume_id))}: only an available volume can be attached`);
    const { id } = store.startAction(uuid, 'attach_volume', ctx);
    store.finishAction(id, 'success', `volume ${spec.volume_id} at ${spec.target_dev}`);
    return store.requireVolume(spec.volume_id);
  });
}

/** DetachVolume: in-use -> detaching -> (agent) -> available, or error_detaching (still attached). */
export async function detachVolume(deps: Deps, uuid: string, volumeId: string, ctx: RequestContext): Promise<VolumeRow> {
  const { store } = deps;
  const claimed = store.tx(() => {
    const row = store.requireInstance(uuid);
    const vol = store.requireVolume(volumeId);
    if (vol.instance_uuid !== uuid) {
      throw new FailedPrecondition(`${describeVolume(vol)}: it is not attached to instance ${uuid}`);
    }
    if (vol.status !== 'in-use') throw new FailedPrecondition(`${describeVolume(vol)}: only an in-use volume can be detached`);
    if (row.task_state !== 'none' || !['active', 'stopped', 'soft_deleted'].includes(row.vm_state)) {
      throw precondition(row, 'volumes can only be detached from an active, stopped or soft-deleted instance with no task');
    }
    if (!store.casVolume(volumeId, uuid, ['in-use'], { status: 'detaching' })) {
      throw new FailedPrecondition(`volume ${volumeId} changed concurrently`);
    }
    const { id, attempt } = store.startAction(uuid, 'detach_volume', ctx);
    const agentRequestId = `${uuid}:detach_volume:${attempt}`;
    store.setAgentRequestId(id, agentRequestId);
    return { row, vol, actionId: id, agentRequestId };
  });

  const finish = (result: 'success' | 'error', message: string | undefined, change: () => boolean): VolumeRow | undefined =>
    store.tx(() => {
      // Lost only when the instance was deleted meanwhile (its delete released the volume).
      if (!change()) deps.logger.warn({ uuid, volume: volumeId }, 'volume left detaching meanwhile; completion skipped');
      store.finishAction(claimed.actionId, result, message);
      return store.getVolume(volumeId);
    });
  const gone = (): VolumeRow => ({ ...claimed.vol, status: 'available', instance_uuid: null });

  try {
    await agentCall(deps, claimed.row.host, 'DisconnectVolume', {
      domain: { uuid }, volume: attachmentOf(claimed.vol), request_id: claimed.agentRequestId,
    }, { deadlineMs: seconds(deps.config.agentTimeoutSeconds), idempotent: true });
    return finish('success', `volume ${volumeId} detached`, () => store.detachVolume(volumeId, uuid, ['detaching'])) ?? gone();
  } catch (err) {
    if (unreachable(err)) {
      // Nothing was done on the host: the attachment is back to in-use.
      finish('error', reason(err), () => store.casVolume(volumeId, uuid, ['detaching'], { status: 'in-use' }));
      throw new Unavailable(`host ${claimed.row.host} is unreachable; volume ${volumeId} stays in-use: ${reason(err)}`, { cause: err });
    }
    const after = finish('error', reason(err), () => store.casVolume(volumeId, uuid, ['detaching'], { status: 'error_detaching', error: reason(err) }));
    throw clientError(err, `detaching volume ${volumeId} from instance ${uuid} failed (volume is ${after?.status ?? 'gone'})`);
  }
}
