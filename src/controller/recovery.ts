// The controller's restart recovery, at start-up before serving: rows a
// controller left in a task when it stopped mid-operation are put where a
// later call (or the periodic task) can finish the job.
import type { Deps } from './deps';
import type { InstanceChange } from './store';

/**
 * At start-up, before serving, and on every periodic tick: rows left in a
 * task by a controller that stopped mid-operation are put where a later
 * call (or the periodic task) can finish the job, never into a state with
 * less data than they had:
 *  - soft_deleting → soft deleted in the records, power-off pending;
 *  - restoring, or a pending power-off running → soft deleted, power-off pending;
 *  - a reclaim or hard delete of a soft-deleted row → soft deleted (retried);
 *  - anything else (spawning, stop, start, a hard delete) → error, with the
 *    quota as before the task (a create's reservation released); error can
 *    always be deleted again.
 * Only rows this replica may take: its own leases (it restarted), expired
 * ones (their replica died) and rows without one. A live replica's task is
 * never taken. Their open actions are closed; detaches older than a task
 * lease become pending.
 */
export async function recoverInterrupted(deps: Deps, atStartup = true): Promise<number> {
  const { store, replica } = deps;
  const now = store.clock.now();
  return store.tx(async () => {
    // A single controller (its own database) takes every row at start-up, whatever replica id wrote it.
    const rows = await store.interrupted(atStartup && !replica.shared ? undefined : replica.id, now, atStartup ? 'startup' : 'expired');
    for (const row of rows) {
      const why = `${atStartup ? 'controller restarted' : `controller replica ${row.lease_owner ?? '?'} lost its lease`} during ${row.task_state}`;
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
      await store.cas(row.uuid, { vm: [row.vm_state], task: [row.task_state] }, { ...change, lease_owner: null, lease_expires_at: null });
      if (row.task_state === 'spawning') for (const v of await store.volumesOf(row.uuid)) await store.detachVolume(v.id, row.uuid, ['attaching']);
      await store.closeOpenActionsOf(row.uuid, atStartup ? 'interrupted by a controller restart' : `interrupted: ${why}`);
      deps.logger.warn({ uuid: row.uuid, vm_state: row.vm_state, task_state: row.task_state, lease_owner: row.lease_owner, now: change.vm_state ?? row.vm_state }, why);
    }
    // A detach (no instance task, no lease) counts as interrupted once it is older than a task lease;
    // a single controller at start-up takes them all.
    const olderThan = atStartup && !replica.shared ? now : now - replica.taskLeaseMs;
    const pended = await store.pendDetachingVolumes(olderThan);
    if (pended > 0) deps.logger.warn({ volumes: pended }, 'interrupted detaches are pending: retried by the periodic task');
    if (atStartup) await store.closeOpenActions('interrupted by a controller restart', olderThan);
    return rows.length;
  });
}
