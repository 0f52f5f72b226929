// Nova's delete family: soft delete, restore, hard delete (DeleteInstance
// with no reclaim interval, ForceDeleteInstance, the reclaim) and the delete
// in the records only when the host is down.
//
// Every path claims the row with a CAS from (vm_state, task_state) first;
// a delete of an instance that is already being deleted (or is deleted)
// returns the instance as it is. Restore and the reclaim both claim from
// (soft_deleted, none), so only one of them can ever win.
//
// What an agent failure does (never terminal, never a lost disk):
//  - soft delete: host down, or no answer through the retries → soft deleted
//    in the records, power-off pending (pending.ts does it when the host is
//    back); an error answer → unchanged, the error returned;
//  - hard delete: host down → deleted in the records, host cleanup queued;
//    no answer → unchanged (UNAVAILABLE); an error answer → ERROR, which can
//    be deleted again; from SOFT_DELETED it stays soft deleted;
//  - force delete with force → deleted whatever the agent says (its errors
//    returned as warnings), host cleanup queued;
//  - reclaim → stays soft deleted, retried with capped exponential backoff;
//  - restore → back to soft deleted, no task, quota given back.
import { Unavailable } from '../errors';
import type { AgentResponse } from '../grpc/contract';
import * as agent from './agent-calls';
import { agentNotFound, attachmentsOf, clientError, noAnswer, powerStateOf, reason, refusedByAgent, silence } from './agent-calls';
import { claim, complete, precondition, type Claim } from './claim';
import { nextRetryAt, type Deps } from './deps';
import type { InstanceChange } from './store';
import type { InstanceRow, Outcome, RequestContext } from './types';

/** Soft delete applies to instances that ran (Nova's must_have_launched) when the reclaim interval is > 0. */
function softDeletable(deps: Deps, row: InstanceRow): boolean {
  return deps.config.reclaimIntervalSeconds > 0 && row.launched === 1
    && (row.vm_state === 'active' || row.vm_state === 'stopped' || row.vm_state === 'error');
}

const outcome = (row: InstanceRow, warnings: string[] = []): Outcome => ({ row, warnings });

/** DeleteInstance: soft when the instance ran and the reclaim interval is > 0, else hard. */
export async function deleteInstance(deps: Deps, uuid: string, ctx: RequestContext): Promise<Outcome> {
  let kind = 'delete' as 'soft_delete' | 'delete';
  const r = await claim(deps, uuid, ctx, () => kind, (row) => {
    if (row.vm_state === 'deleted' || row.task_state === 'deleting' || row.task_state === 'soft_deleting') return null;
    if (row.task_state !== 'none') throw precondition(row, 'wait for the running task to finish');
    if (softDeletable(deps, row)) {
      kind = 'soft_delete';
      return { task_state: 'soft_deleting' };
    }
    return { task_state: 'deleting' };
  });
  if ('ignored' in r) return outcome(r.ignored);
  return kind === 'soft_delete' ? softDelete(deps, r.claimed) : hardDelete(deps, r.claimed, 'delete');
}

/**
 * ForceDeleteInstance: a hard delete from any state without a running task.
 * With `force` the record ends deleted whatever the agent answers.
 */
export async function forceDeleteInstance(deps: Deps, uuid: string, force: boolean, ctx: RequestContext): Promise<Outcome> {
  const r = await claim(deps, uuid, ctx, 'force_delete', (row) => {
    if (row.vm_state === 'deleted' || row.task_state === 'deleting') return null;
    if (row.task_state !== 'none') throw precondition(row, 'wait for the running task to finish (every task ends within its deadline)');
    return { task_state: 'deleting' };
  });
  if ('ignored' in r) return outcome(r.ignored);
  return hardDelete(deps, r.claimed, force ? 'force' : 'delete');
}

/**
 * The reclaim of one instance: claimed only while it is soft deleted with no
 * task, deleted_at <= cutoff and its retry backoff passed. Returns null when
 * it no longer qualifies (restored, being deleted, soft deleted again more
 * recently); else the row after the attempt (deleted, or still soft deleted).
 */
export async function reclaimInstance(deps: Deps, uuid: string, cutoff: number, ctx: RequestContext): Promise<InstanceRow | null> {
  const now = deps.store.clock.now();
  const r = await claim(deps, uuid, ctx, 'reclaim', (row) =>
    row.vm_state === 'soft_deleted' && row.task_state === 'none' && row.deleted_at !== null && row.deleted_at <= cutoff
      && (row.reclaim_next_at === null || row.reclaim_next_at <= now)
      ? { task_state: 'deleting' }
      : null);
  if ('ignored' in r) return null;
  return (await hardDelete(deps, r.claimed, 'reclaim')).row;
}

/**
 * RestoreInstance: only from (soft_deleted, none) with the host up; the quota
 * is re-checked and reserved in the claim. A pending power-off is done first.
 */
export async function restoreInstance(deps: Deps, uuid: string, ctx: RequestContext): Promise<Outcome> {
  const r = await claim(deps, uuid, ctx, 'restore', async (row) => {
    if (row.vm_state !== 'soft_deleted') throw precondition(row, 'only a soft-deleted instance can be restored');
    if (row.task_state === 'deleting') throw precondition(row, 'it is being deleted and can no longer be restored');
    if (row.task_state !== 'none') throw precondition(row, 'wait for the running task to finish');
    if (deps.liveness.isDown(row.host)) {
      throw new Unavailable(`${deps.liveness.describe(row.host)}; instance ${uuid} stays soft deleted: restore it when the host is back`);
    }
    await deps.quota.check(row.project_id, { instances: 1, vcpus: row.vcpus, memoryMib: row.memory_mib });
    return { task_state: 'restoring', quota_held: 1 };
  });
  if ('ignored' in r) return outcome(r.ignored);
  const c = r.claimed;
  let offPending = c.row.pending_power_off === 1;
  try {
    if (offPending) {
      await agent.powerOff(deps, c.row, `${c.agentRequestId}:power_off`).catch((err: unknown) => {
        if (!agentNotFound(err)) throw err; // NOT_FOUND: nothing runs, PowerOn will say so
      });
      offPending = false;
    }
    const res = await agent.powerOn(deps, c.row, c.agentRequestId);
    return outcome(await complete(deps, c, {
      vm_state: 'active', task_state: 'none', deleted_at: null, error: null, power_state: powerStateOf(res, 'RUNNING'),
      pending_power_off: 0, power_off_attempts: 0, power_off_error: null, power_off_next_at: null,
      reclaim_attempts: 0, reclaim_error: null, reclaim_next_at: null,
    }, 'success'));
  } catch (err) {
    // Nova's reverts_task_state: soft deleted again, no task, the reservation
    // released. Unless the agent refused before starting anything, the guest
    // may run: the power-off is pending again so records and host agree.
    const pending = offPending || !refusedByAgent(err);
    await complete(deps, c, { task_state: 'none', quota_held: 0, pending_power_off: pending ? 1 : 0 }, 'error', reason(err));
    if (noAnswer(err)) {
      throw new Unavailable(`${silence(err, c.row.host)}; instance ${uuid} stays soft deleted: ${reason(err)}`, { cause: err });
    }
    throw clientError(err, `restoring instance ${uuid} failed; it stays soft deleted`);
  }
}

function softDeletedChange(deps: Deps): InstanceChange {
  return {
    vm_state: 'soft_deleted', task_state: 'none', deleted_at: deps.store.clock.now(), quota_held: 0, error: null,
    power_off_attempts: 0, power_off_error: null, power_off_next_at: null, reclaim_attempts: 0, reclaim_error: null, reclaim_next_at: null,
  };
}

/** Power off with the clean-shutdown budget, keep the domain, release the quota. */
async function softDelete(deps: Deps, c: Claim): Promise<Outcome> {
  const { uuid, host } = c.row;
  if (deps.liveness.isDown(host)) return await softDeleteInRecords(deps, c, deps.liveness.describe(host));
  let res: AgentResponse<'PowerOff'>;
  try {
    res = await agent.powerOff(deps, c.row, c.agentRequestId);
  } catch (err) {
    if (noAnswer(err)) return await softDeleteInRecords(deps, c, `${silence(err, host)}: ${reason(err)}`);
    // The agent answered with an error: the instance stays as it was; deleting again retries.
    await complete(deps, c, { task_state: 'none' }, 'error', reason(err));
    throw clientError(err, `soft-deleting instance ${uuid} failed; it is unchanged (${c.before.vm_state})`);
  }
  return outcome(await complete(deps, c, { ...softDeletedChange(deps), pending_power_off: 0, power_state: powerStateOf(res, 'SHUTOFF') },
    'success', !res.clean ? 'the guest did not stop cleanly and was destroyed' : undefined));
}

/**
 * Nova's _do_soft_delete(local=True): soft deleted in the records, the quota
 * released, the power-off pending until the host is back. Nothing is destroyed.
 */
async function softDeleteInRecords(deps: Deps, c: Claim, why: string): Promise<Outcome> {
  const message = `soft deleted in the records only (${why}); the power-off is done when the host is back`;
  deps.logger.warn({ uuid: c.row.uuid, host: c.row.host, why }, 'host unavailable: soft delete in the records, power-off pending');
  return outcome(await complete(deps, c, { ...softDeletedChange(deps), pending_power_off: 1 }, 'success', message), [message]);
}

type HardMode = 'delete' | 'force' | 'reclaim';

/** Destroy with disks and the volumes' connection info; then the row is deleted and its volumes released. */
async function hardDelete(deps: Deps, c: Claim, mode: HardMode): Promise<Outcome> {
  const { uuid, host } = c.row;
  // The reclaim is never done in the records only: it waits for the host (the periodic task skips down hosts).
  if (mode !== 'reclaim' && deps.liveness.isDown(host)) return await deleteInRecords(deps, c, deps.liveness.describe(host), []);
  let res: AgentResponse<'Destroy'>;
  try {
    res = await agent.destroy(deps, host, uuid, attachmentsOf(await deps.store.volumesOf(uuid)), c.agentRequestId);
  } catch (err) {
    return await hardDeleteFailed(deps, c, mode, err);
  }
  const warnings = res.warnings;
  const row = await complete(deps, c, deletedChange(deps), 'success', warnings.length > 0 ? `warnings: ${warnings.join('; ')}` : undefined,
    async () => deps.store.releaseVolumes(uuid));
  return outcome(row, warnings);
}

async function hardDeleteFailed(deps: Deps, c: Claim, mode: HardMode, err: unknown): Promise<Outcome> {
  const { uuid, host } = c.row;
  const why = reason(err);
  if (mode === 'force') {
    return await deleteInRecords(deps, c, `Destroy failed and force was given: ${why}`, [`Destroy of instance ${uuid} on host ${host} failed: ${why}`]);
  }
  if (mode === 'reclaim') {
    // Still soft deleted (and restorable); the next attempt waits out the backoff.
    const attempts = c.row.reclaim_attempts + 1;
    const next = nextRetryAt(deps, attempts);
    deps.hooks.reclaimFailed();
    deps.logger.warn({ uuid, host, attempts, next_at: new Date(next).toISOString(), err: why }, 'reclaim failed; retried later');
    return outcome(await complete(deps, c, { task_state: 'none', reclaim_attempts: attempts, reclaim_error: why, reclaim_next_at: next }, 'error', why));
  }
  if (c.before.vm_state === 'soft_deleted') {
    await complete(deps, c, { task_state: 'none' }, 'error', why);
    if (noAnswer(err)) throw new Unavailable(`${silence(err, host)}; instance ${uuid} stays soft deleted: ${why}`, { cause: err });
    throw clientError(err, `deleting instance ${uuid} failed; it stays soft deleted`);
  }
  if (noAnswer(err)) {
    await complete(deps, c, { task_state: 'none' }, 'error', why);
    throw new Unavailable(`${silence(err, host)}; instance ${uuid} is unchanged (${c.before.vm_state}): delete it again, `
      + `or force delete with force; once the host counts as down (no contact for service_down_seconds) the delete is done in the records: ${why}`,
    { cause: err });
  }
  // The agent answered with an error part-way: Nova's ERROR, which can be deleted again (quota as it was).
  await complete(deps, c, { vm_state: 'error', task_state: 'none', error: `delete failed: ${why}` }, 'error', why);
  throw clientError(err, `deleting instance ${uuid} failed`);
}

function deletedChange(deps: Deps): InstanceChange {
  return {
    vm_state: 'deleted', task_state: 'none', power_state: 'NOSTATE', deleted_at: deps.store.clock.now(), quota_held: 0, error: null,
    pending_power_off: 0, power_off_next_at: null, reclaim_next_at: null,
  };
}

/**
 * Deleted in the records only (the quota released); the domain and its disks
 * are destroyed by the host cleanup when the host is back, and its volumes
 * stay detaching until that Destroy confirms.
 */
async function deleteInRecords(deps: Deps, c: Claim, why: string, warnings: string[]): Promise<Outcome> {
  const { uuid, host } = c.row;
  const message = `deleted in the records only (${why}); the domain and its disks are destroyed when host ${host} is back`;
  deps.logger.warn({ uuid, host, why }, 'deleted in the records only; host cleanup pending');
  const volumes = JSON.stringify(attachmentsOf(await deps.store.volumesOf(uuid)));
  const row = await complete(deps, c, {
    ...deletedChange(deps), needs_host_cleanup: 1, cleanup_volumes: volumes, cleanup_attempts: 0, cleanup_error: null, cleanup_next_at: null,
  }, 'success', message, () => deps.store.holdVolumesForCleanup(uuid, `instance deleted while host ${host} was unavailable; released by the host cleanup`));
  return outcome(row, [...warnings, message]);
}
