// The controller's restart recovery, at start-up before serving: rows a
// controller left in a task when it stopped mid-operation are put where a
// later call (or the periodic task) can finish the job.
import type { Deps } from './deps';
import type { InstanceChange } from './store';

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
export function recoverInterrupted(deps: Deps): number {
  const { store } = deps;
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
      deps.logger.warn({ uuid: row.uuid, vm_state: row.vm_state, task_state: row.task_state, now: change.vm_state ?? row.vm_state }, why);
    }
    const pended = store.pendDetachingVolumes();
    if (pended > 0) deps.logger.warn({ volumes: pended }, 'detaches interrupted by the restart are pending: retried by the periodic task');
    store.closeOpenActions('interrupted by a controller restart');
    return rows.length;
  });
}
