// Read-only aggregates of the records, for the metrics endpoint and ListHosts:
// counts by state, by host, and the periodic task's backlog. Part of the
// store (it holds all SQL); apart because nothing here changes a row.
import type { SqlEngine } from './sql';

export class StoreCounts {
  constructor(private readonly engine: SqlEngine) {}

  /** Rows per vm_state (deleted ones included). */
  instanceCounts(): Promise<Array<{ vm_state: string; n: number }>> {
    return this.engine.all('SELECT vm_state, COUNT(*) AS n FROM instances GROUP BY vm_state');
  }

  /** Instances per host (deleted ones excluded). */
  instanceCountsByHost(): Promise<Array<{ host: string; n: number }>> {
    return this.engine.all("SELECT host, COUNT(*) AS n FROM instances WHERE vm_state <> 'deleted' GROUP BY host");
  }

  volumeCounts(): Promise<Array<{ status: string; n: number }>> {
    return this.engine.all('SELECT status, COUNT(*) AS n FROM volumes GROUP BY status');
  }

  /** Work the periodic task owes: due reclaims (soft deleted at or before cutoff), retrying reclaims, pending power-offs and cleanups. */
  async backlog(cutoff: number): Promise<{ reclaimDue: number; reclaimRetrying: number; pendingPowerOffs: number; pendingCleanups: number }> {
    return (await this.engine.get<{ reclaimDue: number; reclaimRetrying: number; pendingPowerOffs: number; pendingCleanups: number }>(
      `SELECT
         COALESCE(SUM(CASE WHEN vm_state = 'soft_deleted' AND deleted_at <= ? THEN 1 ELSE 0 END), 0) AS "reclaimDue",
         COALESCE(SUM(CASE WHEN vm_state = 'soft_deleted' AND reclaim_attempts > 0 THEN 1 ELSE 0 END), 0) AS "reclaimRetrying",
         COALESCE(SUM(CASE WHEN vm_state = 'soft_deleted' AND pending_power_off = 1 THEN 1 ELSE 0 END), 0) AS "pendingPowerOffs",
         COALESCE(SUM(CASE WHEN vm_state = 'deleted' AND needs_host_cleanup = 1 THEN 1 ELSE 0 END), 0) AS "pendingCleanups"
       FROM instances WHERE vm_state IN ('soft_deleted', 'deleted') AND (vm_state = 'soft_deleted' OR needs_host_cleanup = 1)`,
      [cutoff],
    ))!;
  }
}
