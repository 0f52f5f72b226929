// The leases of several replicas (store.ts's header): batches of periodic
// work claimed with FOR UPDATE SKIP LOCKED, the renewal of running tasks'
// leases (task-leases.ts), and the give-back of what a batch did not start.
// Part of the store (it holds all SQL).
import type { SqlEngine, SqlValue } from './sql';
import { DUE, placeholders, type DueWork, type LeaseRequest } from './store-sql';
import type { Clock, InstanceRow } from './types';

export class StoreLeases {
  constructor(private readonly engine: SqlEngine, private readonly clock: Clock) {}

  /**
   * Claims a batch of due work for `lease.owner` until `lease.expiresAt`:
   * rows due (as reclaimable / pendingPowerOffs / pendingCleanups say) whose
   * lease is absent, expired or already the owner's. On PostgreSQL the
   * candidates are locked with FOR UPDATE SKIP LOCKED, so replicas claiming
   * at the same moment get disjoint batches without waiting on each other;
   * SQLite's single writer gives the same. `cutoff` is the reclaim's.
   */
  claimDue(work: DueWork, lease: LeaseRequest, cutoff = 0): Promise<InstanceRow[]> {
    const due = DUE[work];
    const dueParams: SqlValue[] = work === 'reclaim' ? [cutoff, lease.now] : [lease.now];
    const skip = this.engine.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    return this.engine.all<InstanceRow>(
      `UPDATE instances SET lease_owner = ?, lease_expires_at = ?
        WHERE uuid IN (SELECT uuid FROM instances WHERE ${due.where}
                          AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at <= ?)
                        ORDER BY ${due.order} LIMIT ?${skip})
       RETURNING *`,
      [lease.owner, lease.expiresAt, ...dueParams, lease.owner, lease.now, lease.limit],
    );
  }

  /** Extends the owner's leases of rows still in a task to `expiresAt`; returns how many. */
  renewTaskLeases(owner: string, uuids: readonly string[], expiresAt: number): Promise<number> {
    return this.inChunks(uuids, (part) => this.engine.run(
      `UPDATE instances SET lease_expires_at = ? WHERE lease_owner = ? AND task_state <> 'none' AND uuid IN (${placeholders(part.length)})`,
      [expiresAt, owner, ...part],
    ));
  }

  /** Marks running (not pending) detaches of these volumes as changed now: recovery leaves a detach alone for a task lease after. */
  touchRunningDetaches(ids: readonly string[]): Promise<number> {
    return this.inChunks(ids, (part) => this.engine.run(
      `UPDATE volumes SET updated_at = ? WHERE status = 'detaching' AND detach_pending = 0 AND id IN (${placeholders(part.length)})`,
      [this.clock.now(), ...part],
    ));
  }

  /** Gives back the owner's batch leases of rows it did not start a task on. */
  async releaseLeases(owner: string, uuids: readonly string[]): Promise<void> {
    await this.inChunks(uuids, (part) => this.engine.run(
      `UPDATE instances SET lease_owner = NULL, lease_expires_at = NULL
        WHERE lease_owner = ? AND task_state = 'none' AND uuid IN (${placeholders(part.length)})`,
      [owner, ...part],
    ));
  }

  /** One statement per 500 keys (bounded parameter lists); the rows changed, summed. */
  private async inChunks(keys: readonly string[], run: (part: readonly string[]) => Promise<number>): Promise<number> {
    let n = 0;
    for (let i = 0; i < keys.length; i += 500) n += await run(keys.slice(i, i + 500));
    return n;
  }
}
