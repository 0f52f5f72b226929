// The administrator's ways out for a volume, both recorded in the action log
// of the volume's instance:
//  - ResetVolumeState (Cinder's os-reset_status): sets the status in the
//    records only; `available` also ends the attachment record. Nothing is
//    sent to any host.
//  - ForceDetachVolume (Cinder's os-force_detach): the host-side disconnect
//    (DisconnectVolume without a domain, ignore_errors: failures come back as
//    warnings), then available. The guest is not asked to release the device.
import { FailedPrecondition, Unavailable } from '../errors';
import * as agent from './agent-calls';
import { clientError, noAnswer, reason, silence } from './agent-calls';
import type { Deps } from './deps';
import type { RequestContext, VolumeRow, VolumeStatus } from './types';
import { describeVolume } from './volumes';

/** Statuses ResetVolumeState may set. */
export const RESETTABLE_STATUSES: readonly VolumeStatus[] = ['available', 'in-use', 'error_detaching'];

export function resetVolumeState(deps: Deps, volumeId: string, status: VolumeStatus, ctx: RequestContext): Promise<VolumeRow> {
  const { store } = deps;
  return store.tx(async () => {
    const vol = await store.requireVolume(volumeId);
    const uuid = vol.instance_uuid;
    if (uuid === null) {
      if (status === 'available') return vol;
      throw new FailedPrecondition(`${describeVolume(vol)}: it has no attachment to mark ${status}; attach it instead`);
    }
    const inst = await store.requireInstanceForUpdate(uuid);
    if (status === 'in-use' && inst.vm_state === 'deleted') {
      throw new FailedPrecondition(`${describeVolume(vol)}: instance ${uuid} is deleted; reset it to available instead`);
    }
    await store.resetVolume(volumeId, status, `reset to ${status} by ${ctx.user}`);
    if (status === 'available') await store.dropCleanupVolume(uuid, volumeId);
    const { id } = await store.startAction(uuid, 'reset_volume_state', ctx);
    await store.finishAction(id, 'success', `volume ${volumeId}: ${vol.status}${vol.detach_pending ? ' (detach pending)' : ''} -> ${status}`);
    deps.logger.warn({ uuid, volume: volumeId, from: vol.status, to: status, user: ctx.user }, 'volume state reset by an administrator');
    return (await store.getVolume(volumeId))!;
  });
}

export async function forceDetachVolume(deps: Deps, volumeId: string, ctx: RequestContext): Promise<{ volume: VolumeRow; warnings: string[] }> {
  const { store, liveness } = deps;
  const c = await store.tx(async () => {
    const vol = await store.requireVolume(volumeId);
    if (vol.instance_uuid === null) throw new FailedPrecondition(`${describeVolume(vol)}: not attached, nothing to detach`);
    if (vol.status === 'attaching') throw new FailedPrecondition(`${describeVolume(vol)}: wait for the instance's create to finish`);
    const inst = await store.requireInstanceForUpdate(vol.instance_uuid);
    if (liveness.isDown(inst.host)) {
      throw new Unavailable(`${liveness.describe(inst.host)}; volume ${volumeId} is unchanged (${vol.status}): `
        + 'force detach it when the host is back, or ResetVolumeState to record it without the host');
    }
    if (!await store.casVolume(volumeId, vol.instance_uuid, [vol.status], { status: 'detaching', detach_pending: 0, error: 'force detach running' })) {
      throw new FailedPrecondition(`volume ${volumeId} changed concurrently; retry`);
    }
    const { id, agentRequestId } = await store.startAgentAction(vol.instance_uuid, 'force_detach_volume', ctx);
    return { vol, uuid: vol.instance_uuid, host: inst.host, actionId: id, agentRequestId };
  });

  const restore = (message: string) => store.tx(async () => {
    await store.casVolume(volumeId, c.uuid, ['detaching'], {
      status: c.vol.status, error: c.vol.error, detach_pending: c.vol.detach_pending === 1 ? 1 : 0, detach_next_at: c.vol.detach_next_at,
    });
    await store.finishAction(c.actionId, 'error', message);
  });
  let res;
  try {
    res = await agent.disconnectVolume(deps, c.host, c.vol, c.agentRequestId, 'host-only');
  } catch (err) {
    await restore(reason(err));
    if (noAnswer(err)) throw new Unavailable(`${silence(err, c.host)}; volume ${volumeId} is unchanged (${c.vol.status}): ${reason(err)}`, { cause: err });
    throw clientError(err, `force-detaching volume ${volumeId} failed; it is unchanged (${c.vol.status})`);
  }
  const warnings = res.warnings;
  const volume = await store.tx(async () => {
    if (!await store.detachVolume(volumeId, c.uuid, ['detaching'])) deps.logger.warn({ volume: volumeId }, 'volume changed during the force detach');
    await store.dropCleanupVolume(c.uuid, volumeId);
    await store.finishAction(c.actionId, 'success', `volume ${volumeId} force-detached on host ${c.host}${warnings.length ? `; warnings: ${warnings.join('; ')}` : ''}`);
    return store.getVolume(volumeId);
  });
  deps.logger.warn({ uuid: c.uuid, volume: volumeId, host: c.host, user: ctx.user, warnings }, 'volume force-detached by an administrator');
  return { volume: volume ?? { ...c.vol, status: 'available', instance_uuid: null }, warnings };
}
