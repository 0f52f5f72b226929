// Host work the controller still owes once a host is back, one instance at a
// time (periodic.ts decides when and where):
//  - the pending power-off of an instance soft deleted in the records only;
//  - the host cleanup of an instance deleted in the records only: Destroy
//    with its disks and volumes, after which its volumes are released.
// Failures keep the work pending with capped exponential backoff; the
// attempts and last error are on the row.
import type { VolumeAttachment } from '../generated/virtagent/v1';
import * as agent from './agent-calls';
import { agentNotFound, powerStateOf, reason } from './agent-calls';
import { claim, complete } from './claim';
import { nextRetryAt, type Deps } from './deps';
import type { RequestContext } from './types';

/**
 * The pending power-off of a soft-deleted instance: claimed (soft_deleted,
 * none) → powering_off, PowerOff with the clean-shutdown budget. Returns
 * true when it is done.
 */
export async function runPendingPowerOff(deps: Deps, uuid: string, ctx: RequestContext): Promise<boolean> {
  const r = await claim(deps, uuid, ctx, 'pending_power_off', (row) =>
    row.vm_state === 'soft_deleted' && row.task_state === 'none' && row.pending_power_off === 1 ? { task_state: 'powering_off' } : null);
  if ('ignored' in r) return false;
  const c = r.claimed;
  try {
    const res = await agent.powerOff(deps, c.row, c.agentRequestId);
    await complete(deps, c, { task_state: 'none', pending_power_off: 0, power_off_error: null, power_off_next_at: null, power_state: powerStateOf(res, 'SHUTOFF') },
      'success', !res.clean ? 'the guest did not stop cleanly and was destroyed' : 'powered off');
    return true;
  } catch (err) {
    if (agentNotFound(err)) {
      await complete(deps, c, { task_state: 'none', pending_power_off: 0, power_off_error: null, power_off_next_at: null, power_state: 'NOSTATE' },
        'success', `nothing to power off: ${reason(err)}`);
      return true;
    }
    const attempts = c.row.power_off_attempts + 1;
    const next = nextRetryAt(deps, attempts);
    await complete(deps, c, { task_state: 'none', power_off_attempts: attempts, power_off_error: reason(err), power_off_next_at: next }, 'error', reason(err));
    return false;
  }
}

/**
 * Destroys the leftover domain of an instance deleted in the records only,
 * then releases its volumes. Runs only while the row is deleted with the
 * cleanup pending (re-read in the transaction that opens the action).
 * Returns true when the cleanup is done.
 */
export async function runHostCleanup(deps: Deps, uuid: string, ctx: RequestContext): Promise<boolean> {
  const { store } = deps;
  const started = await store.tx(async () => {
    const row = await store.getInstance(uuid);
    if (!row || row.vm_state !== 'deleted' || row.task_state !== 'none' || row.needs_host_cleanup !== 1) return undefined;
    const { id, agentRequestId } = await store.startAgentAction(uuid, 'host_cleanup', ctx);
    return { row, id, agentRequestId };
  });
  if (!started) return false;
  const { row, id, agentRequestId } = started;
  const attempt = row.cleanup_attempts + 1;
  const volumes = row.cleanup_volumes ? (JSON.parse(row.cleanup_volumes) as VolumeAttachment[]) : [];
  const expect = { vm: ['deleted'] as const, task: ['none'] as const };
  try {
    const res = await agent.destroy(deps, row.host, uuid, volumes, agentRequestId);
    await store.tx(async () => {
      await store.cas(uuid, expect, {
        needs_host_cleanup: 0, cleanup_volumes: null, cleanup_attempts: attempt, cleanup_error: null, cleanup_next_at: null, lease_owner: null, lease_expires_at: null,
      });
      await store.releaseVolumes(uuid);
      await store.finishAction(id, 'success', !res.found ? 'domain already gone' : 'leftover domain destroyed');
    });
    deps.logger.info({ uuid, host: row.host, found: res.found }, 'host cleanup done');
    return true;
  } catch (err) {
    const next = nextRetryAt(deps, attempt);
    await store.tx(async () => {
      await store.cas(uuid, expect, { cleanup_attempts: attempt, cleanup_error: reason(err), cleanup_next_at: next, lease_owner: null, lease_expires_at: null });
      await store.finishAction(id, 'error', reason(err));
    });
    deps.logger.warn({ uuid, host: row.host, attempt, err: reason(err) }, 'host cleanup failed; will retry');
    return false;
  }
}

