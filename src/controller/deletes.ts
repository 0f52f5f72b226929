// Nova's delete family: soft delete, restore, hard delete (DeleteInstance
// with no reclaim interval, ForceDeleteInstance, the reclaim), the local
// delete when the host's agent is down, and the deferred host cleanup.
//
// Every path claims the row with a CAS from (vm_state, task_state) first;
// a delete of an instance that is already being deleted (or is deleted)
// returns the instance as it is. Restore and the reclaim both claim from
// (soft_deleted, none), so only one of them can ever win.
import { Unavailable } from '../errors';
import type { VolumeAttachmentMsg } from './volumes';
import { attachmentsOf } from './volumes';
import {
  agentCall, claim, clientError, complete, powerStateOf, precondition, reason, seconds, unreachable, waitDeadlineMs,
  type Claim, type Deps,
} from './lifecycle';
import type { InstanceChange } from './store';
import type { InstanceRow, RequestContext } from './types';

const DELETING = ['deleting', 'soft_deleting'] as const;

function alreadyDeleting(row: InstanceRow): boolean {
  return row.vm_state === 'deleted' || (DELETING as readonly string[]).includes(row.task_state);
}

/** DeleteInstance: soft when the reclaim interval is > 0 and the instance is active or stopped, else hard. */
export async function deleteInstance(deps: Deps, uuid: string, ctx: RequestContext): Promise<InstanceRow> {
  const soft = deps.config.reclaimIntervalSeconds > 0;
  let kind = 'delete' as 'soft_delete' | 'delete';
  const r = claim(deps, uuid, ctx, () => kind, (row) => {
    if (alreadyDeleting(row)) return null;
    if (row.task_state !== 'none') throw precondition(row, 'wait for the running task to finish');
    if (soft && (row.vm_state === 'active' || row.vm_state === 'stopped')) {
      kind = 'soft_delete';
      return { task_state: 'soft_deleting' };
    }
    return { task_state: 'deleting' };
  });
  if ('ignored' in r) return r.ignored;
  return kind === 'soft_delete' ? softDelete(deps, r.claimed) : hardDelete(deps, r.claimed);
}

/** ForceDeleteInstance: hard delete from any state but a running task. */
export async function forceDeleteInstance(deps: Deps, uuid: string, ctx: RequestContext): Promise<InstanceRow> {
  const r = claim(deps, uuid, ctx, 'force_delete', (row) => {
    if (alreadyDeleting(row)) return null;
    if (row.task_state !== 'none') throw precondition(row, 'wait for the running task to finish');
    return { task_state: 'deleting' };
  });
  return 'ignored' in r ? r.ignored : hardDelete(deps, r.claimed);
}

/**
 * The reclaim of one instance: claimed only while it is soft deleted with no
 * task and deleted_at <= cutoff. Returns null when it no longer qualifies
 * (restored, being deleted, or soft deleted again more recently).
 */
export async function reclaimInstance(deps: Deps, uuid: string, cutoff: number, ctx: RequestContext): Promise<InstanceRow | null> {
  const r = claim(deps, uuid, ctx, 'reclaim', (row) =>
    row.vm_state === 'soft_deleted' && row.task_state === 'none' && row.deleted_at !== null && row.deleted_at <= cutoff
      ? { task_state: 'deleting' }
      : null);
  return 'ignored' in r ? null : hardDelete(deps, r.claimed);
}

/** RestoreInstance: only from (soft_deleted, none); the quota is re-checked and reserved in the claim. */
export async function restoreInstance(deps: Deps, uuid: string, ctx: RequestContext): Promise<InstanceRow> {
  const r = claim(deps, uuid, ctx, 'restore', (row) => {
    if (row.vm_state !== 'soft_deleted') throw precondition(row, 'only a soft-deleted instance can be restored');
    if (row.task_state !== 'none') throw precondition(row, 'it can no longer be restored');
    deps.quota.check(row.project_id, { instances: 1, vcpus: row.vcpus, memoryMib: row.memory_mib });
    return { task_state: 'restoring', quota_held: 1 };
  });
  if ('ignored' in r) return r.ignored;
  const c = r.claimed;
  try {
    const res = await agentCall(deps, c.row.host, 'PowerOn', {
      domain: { uuid }, wait_timeout_seconds: deps.config.powerOnTimeoutSeconds, request_id: c.agentRequestId,
    }, { deadlineMs: waitDeadlineMs(deps.config.powerOnTimeoutSeconds), idempotent: false });
    return complete(deps, c, {
      vm_state: 'active', task_state: 'none', deleted_at: null, error: null,
      power_state: powerStateOf(res, 'RUNNING'),
    }, 'success');
  } catch (err) {
    if (unreachable(err)) {
      // Nothing happened on the host: back to soft deleted, the reservation released.
      complete(deps, c, { task_state: 'none', quota_held: 0 }, 'error', reason(err));
      throw new Unavailable(`host ${c.row.host} is unreachable; instance ${uuid} stays soft deleted: ${reason(err)}`, { cause: err });
    }
    complete(deps, c, { vm_state: 'error', task_state: 'none', quota_held: 0, deleted_at: null, error: `restore failed: ${reason(err)}` },
      'error', reason(err));
    throw clientError(err, `restoring instance ${uuid} failed`);
  }
}

/** Power off with the clean-shutdown budget, keep the domain, release the quota. */
async function softDelete(deps: Deps, c: Claim): Promise<InstanceRow> {
  const { uuid, host } = c.row;
  if (!(await deps.agents.healthy(host))) return localDelete(deps, c, `host ${host} failed its health check`);
  try {
    const res = await agentCall(deps, host, 'PowerOff', {
      domain: { uuid }, timeout_seconds: deps.config.cleanShutdownTimeoutSeconds, request_id: c.agentRequestId,
    }, { deadlineMs: waitDeadlineMs(deps.config.cleanShutdownTimeoutSeconds), idempotent: true });
    return complete(deps, c, {
      vm_state: 'soft_deleted', task_state: 'none', deleted_at: deps.store.clock.now(), quota_held: 0, error: null,
      power_state: powerStateOf(res, 'SHUTOFF'),
    }, 'success', res.clean === false ? 'the guest did not stop cleanly and was destroyed' : undefined);
  } catch (err) {
    if (unreachable(err)) return localDelete(deps, c, reason(err));
    // The quota stays as it was (held): the instance still exists on its host.
    complete(deps, c, { vm_state: 'error', task_state: 'none', error: `soft delete failed: ${reason(err)}` }, 'error', reason(err));
    throw clientError(err, `soft-deleting instance ${uuid} failed`);
  }
}

/** Destroy with disks and the volumes' connection info; then the row is deleted and its volumes released. */
async function hardDelete(deps: Deps, c: Claim): Promise<InstanceRow> {
  const { uuid, host } = c.row;
  if (!(await deps.agents.healthy(host))) return localDelete(deps, c, `host ${host} failed its health check`);
  try {
    const res = await agentCall(deps, host, 'Destroy', {
      domain: { uuid }, destroy_disks: true, volumes: attachmentsOf(deps.store.volumesOf(uuid)), request_id: c.agentRequestId,
    }, { deadlineMs: seconds(deps.config.agentTimeoutSeconds), idempotent: true });
    const warnings = Array.isArray(res.warnings) && res.warnings.length > 0 ? `warnings: ${(res.warnings as string[]).join('; ')}` : undefined;
    return complete(deps, c, deletedChange(deps), 'success', warnings, () => deps.store.releaseVolumes(uuid));
  } catch (err) {
    if (unreachable(err)) return localDelete(deps, c, reason(err));
    // Back to what it held before the claim (quota_held untouched), in error.
    complete(deps, c, { vm_state: 'error', task_state: 'none', deleted_at: null, error: `delete failed: ${reason(err)}` }, 'error', reason(err));
    throw clientError(err, `deleting instance ${uuid} failed`);
  }
}

function deletedChange(deps: Deps): InstanceChange {
  return { vm_state: 'deleted', task_state: 'none', power_state: 'NOSTATE', deleted_at: deps.store.clock.now(), quota_held: 0, error: null };
}

/**
 * The host's agent is down: delete in the records only (quota released,
 * volumes released) and remember to destroy the domain when it is back.
 */
function localDelete(deps: Deps, c: Claim, why: string): InstanceRow {
  const { uuid, host } = c.row;
  deps.logger.warn({ uuid, host, why }, 'agent unreachable: deleting locally, host cleanup pending');
  const volumes = JSON.stringify(attachmentsOf(deps.store.volumesOf(uuid)));
  return complete(deps, c, { ...deletedChange(deps), needs_host_cleanup: 1, cleanup_volumes: volumes, cleanup_attempts: 0, cleanup_error: null },
    'success', `deleted locally (host ${host} unreachable: ${why}); the domain is destroyed when the agent is back`,
    () => deps.store.releaseVolumes(uuid));
}

/**
 * Destroys the leftover domain of a locally deleted instance. The host was
 * found healthy by the caller. Returns true when the cleanup is done.
 */
export async function cleanupHostDomain(deps: Deps, row: InstanceRow, ctx: RequestContext): Promise<boolean> {
  const { store } = deps;
  const attempt = row.cleanup_attempts + 1;
  const { id } = store.tx(() => store.startAction(row.uuid, 'host_cleanup', ctx));
  const agentRequestId = `${row.uuid}:host_cleanup:${attempt}`;
  store.setAgentRequestId(id, agentRequestId);
  const volumes = row.cleanup_volumes ? (JSON.parse(row.cleanup_volumes) as VolumeAttachmentMsg[]) : [];
  const expect = { vm: ['deleted'] as const, task: ['none'] as const };
  try {
    const res = await agentCall(deps, row.host, 'Destroy', {
      domain: { uuid: row.uuid }, destroy_disks: true, volumes, request_id: agentRequestId,
    }, { deadlineMs: seconds(deps.config.agentTimeoutSeconds), idempotent: true });
    store.tx(() => {
      store.cas(row.uuid, expect, { needs_host_cleanup: 0, cleanup_volumes: null, cleanup_attempts: attempt, cleanup_error: null });
      store.finishAction(id, 'success', res.found === false ? 'domain already gone' : 'leftover domain destroyed');
    });
    deps.logger.info({ uuid: row.uuid, host: row.host, found: res.found }, 'host cleanup done');
    return true;
  } catch (err) {
    store.tx(() => {
      store.cas(row.uuid, expect, { cleanup_attempts: attempt, cleanup_error: reason(err) });
      store.finishAction(id, 'error', reason(err));
    });
    deps.logger.warn({ uuid: row.uuid, host: row.host, attempt, err: reason(err) }, 'host cleanup failed; will retry');
    return false;
  }
}
