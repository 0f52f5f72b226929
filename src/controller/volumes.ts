// Volume attachment records, with Cinder's statuses. AttachVolume only
// records an attachment. DetachVolume claims it with a CAS (in-use or
// error_detaching → detaching) and asks the agent to disconnect it:
//  - confirmed → available (only then);
//  - host down, the instance's power-off still pending, or no answer
//    through the retries → stays detaching, the detach pending: the periodic
//    task runs it when the host is back (with backoff);
//  - an error answer → in-use when the guest still holds the device
//    (Cinder's roll_detaching; asked with the agent's GetDomain), else
//    error_detaching; either can be detached again.
// The administrator's ResetVolumeState and ForceDetachVolume are in
// volume-admin.ts.
import { FailedPrecondition } from '../errors';
import * as agent from './agent-calls';
import { agentNotFound, clientError, noAnswer, reason, silence } from './agent-calls';
import { precondition } from './claim';
import { nextRetryAt, type Deps } from './deps';
import type { PendingDetach } from './store';
import type { RequestContext, VolumeRow } from './types';
import type { VolumeSpec } from './validate';

export function describeVolume(v: VolumeRow): string {
  return `volume ${v.id} is ${v.status}${v.instance_uuid ? ` (instance ${v.instance_uuid})` : ''}`;
}

/** Instance states a volume may be detached from (with no task running). */
const DETACHABLE_FROM = ['active', 'stopped', 'soft_deleted', 'error'];

/** Records an attachment: the volume must be new or available, the instance active or stopped with no task. */
export function attachVolume(deps: Deps, uuid: string, spec: VolumeSpec, ctx: RequestContext): Promise<VolumeRow> {
  const { store } = deps;
  return store.tx(async () => {
    const row = await store.requireInstanceForUpdate(uuid);
    if (row.task_state !== 'none' || (row.vm_state !== 'active' && row.vm_state !== 'stopped')) {
      throw precondition(row, 'volumes can only be attached to an active or stopped instance with no task');
    }
    const clash = (await store.volumesOf(uuid)).find((v) => v.target_dev === spec.target_dev);
    if (clash) throw new FailedPrecondition(`target ${spec.target_dev} of instance ${uuid} is used by volume ${clash.id}`);
    const ok = await store.attachVolume({
      id: spec.volume_id, instance_uuid: uuid, status: 'in-use', target_dev: spec.target_dev,
      connection_info: JSON.stringify(spec.connection_info), delete_on_termination: spec.delete_on_termination ? 1 : 0,
    });
    if (!ok) throw new FailedPrecondition(`${describeVolume(await store.requireVolume(spec.volume_id))}: only an available volume can be attached`);
    const { id } = await store.startAction(uuid, 'attach_volume', ctx);
    await store.finishAction(id, 'success', `volume ${spec.volume_id} at ${spec.target_dev}`);
    return store.requireVolume(spec.volume_id);
  });
}

/** One claimed detach: the volume as claimed, its host, and its open action. */
interface DetachRun {
  vol: VolumeRow & { instance_uuid: string };
  host: string;
  actionId: number;
  agentRequestId: string;
}

/** DetachVolume: from in-use or error_detaching; see the file comment for the outcomes. */
export async function detachVolume(deps: Deps, uuid: string, volumeId: string, ctx: RequestContext): Promise<VolumeRow> {
  const { store, liveness } = deps;
  const claimed = await store.tx(async () => {
    const row = await store.requireInstanceForUpdate(uuid);
    const vol = await store.requireVolume(volumeId);
    if (vol.instance_uuid !== uuid) throw new FailedPrecondition(`${describeVolume(vol)}: it is not attached to instance ${uuid}`);
    if (vol.status !== 'in-use' && vol.status !== 'error_detaching') {
      throw new FailedPrecondition(`${describeVolume(vol)}: only an in-use or error_detaching volume can be detached`);
    }
    if (row.task_state !== 'none' || !DETACHABLE_FROM.includes(row.vm_state)) {
      throw precondition(row, 'volumes can only be detached from an active, stopped, soft-deleted or errored instance with no task');
    }
    const wait = liveness.isDown(row.host) ? liveness.describe(row.host)
      : row.pending_power_off === 1 ? `the power-off of instance ${uuid} is still pending` : undefined;
    await store.casVolume(volumeId, uuid, [vol.status], {
      status: 'detaching', detach_pending: wait ? 1 : 0, detach_attempts: 0, detach_next_at: null, error: wait ? `detach pending: ${wait}` : null,
    });
    const { id, agentRequestId } = await store.startAgentAction(uuid, 'detach_volume', ctx);
    if (wait) await store.finishAction(id, 'success', `detach pending (${wait}); done when the host is back`);
    return { run: { vol: { ...vol, instance_uuid: uuid, status: 'detaching' as const, detach_attempts: 0 }, host: row.host, actionId: id, agentRequestId }, wait };
  });
  if (claimed.wait) return store.requireVolume(volumeId);
  return runDetach(deps, claimed.run, true);
}

/**
 * A pending detach, from the periodic task (its host is up): claimed with a
 * CAS on (detaching, pending), then run like DetachVolume. Returns whether
 * the volume ended available.
 */
export async function runPendingDetach(deps: Deps, v: PendingDetach, ctx: RequestContext): Promise<boolean> {
  const { store } = deps;
  const run = await store.tx(async (): Promise<DetachRun | undefined> => {
    const inst = await store.getInstance(v.instance_uuid);
    if (!inst || inst.pending_power_off === 1 || inst.task_state !== 'none') return undefined;
    if (!await store.casVolume(v.id, v.instance_uuid, ['detaching'], { status: 'detaching', detach_pending: 0, error: v.error }, 1)) return undefined;
    const { id, agentRequestId } = await store.startAgentAction(v.instance_uuid, 'detach_volume', ctx);
    return { vol: await store.requireVolume(v.id) as DetachRun['vol'], host: inst.host, actionId: id, agentRequestId };
  });
  if (!run) return false;
  const after = await runDetach(deps, run, false);
  return after.status === 'available';
}

/** DisconnectVolume and the outcome in the records; throws the client's error only when `throwOnError`. */
async function runDetach(deps: Deps, d: DetachRun, throwOnError: boolean): Promise<VolumeRow> {
  const { store } = deps;
  const { vol, host } = d;
  const uuid = vol.instance_uuid;
  const finish = (result: 'success' | 'error', message: string, change: () => Promise<boolean>): Promise<VolumeRow> => store.tx(async () => {
    // Lost when the instance's delete (or an administrator) changed the volume meanwhile.
    if (!(await change())) deps.logger.warn({ uuid, volume: vol.id }, 'volume left detaching meanwhile; completion skipped');
    await store.finishAction(d.actionId, result, message);
    return (await store.getVolume(vol.id)) ?? { ...vol, status: 'available', instance_uuid: null };
  });
  // Kept fresh while it runs, so another replica's recovery does not make it pending under us.
  deps.leases?.holdDetach(vol.id);
  try {
    await agent.disconnectVolume(deps, host, vol, d.agentRequestId, { uuid });
    return await finish('success', `volume ${vol.id} detached`, () => store.detachVolume(vol.id, uuid, ['detaching']));
  } catch (err) {
    const why = reason(err);
    if (noAnswer(err)) {
      // Whether the guest let go is unknown: the detach stays pending.
      const attempts = vol.detach_attempts + 1;
      const next = nextRetryAt(deps, attempts);
      return await finish('error', `no answer; the detach is retried: ${why}`, () => store.casVolume(vol.id, uuid, ['detaching'], {
        status: 'detaching', detach_pending: 1, detach_attempts: attempts, detach_next_at: next, error: `${silence(err, host)}: ${why}`,
      }));
    }
    const holds = await guestHoldsDevice(deps, host, uuid, vol.target_dev);
    const status = holds === true ? 'in-use' : 'error_detaching';
    const after = await finish('error', why, () => store.casVolume(vol.id, uuid, ['detaching'], { status, error: why, detach_pending: 0, detach_attempts: 0 }));
    deps.logger.warn({ uuid, host, volume: vol.id, status: after.status, err: why }, 'detach failed');
    if (!throwOnError) return after;
    const note = holds === true ? ': the guest still holds the device' : holds === undefined ? ': whether the guest still holds the device is unknown' : '';
    throw clientError(err, `detaching volume ${vol.id} from instance ${uuid} failed (volume is ${after.status}${note})`);
  } finally {
    deps.leases?.releaseDetach(vol.id);
  }
}

/** Whether the domain still has a disk at target_dev (GetDomain); undefined when the agent cannot tell. */
async function guestHoldsDevice(deps: Deps, host: string, uuid: string, targetDev: string | null): Promise<boolean | undefined> {
  try {
    const dom = await agent.getDomain(deps, host, uuid);
    return targetDev !== null && dom.disks.some((d) => d.target_dev === targetDev);
  } catch (err) {
    return agentNotFound(err) ? false : undefined;
  }
}
