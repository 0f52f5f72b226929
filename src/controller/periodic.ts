// The periodic tasks, one tick every poll interval (never two at once). Each
// tick works only on hosts whose agent answers a health check now (a SERVING
// answer is also a contact: a down host that answers is up again); a failed
// check postpones the host's work to a later tick, it never decides
// anything. In order, so a pending power-off comes before anything else for
// its instance:
//  1. pending power-offs (soft deleted in the records while the host was down);
//  2. pending detaches (their host was down or did not answer);
//  3. reclaim: hard delete soft-deleted instances whose deleted_at is older
//     than the reclaim interval, each claimed with a CAS first (a concurrent
//     restore wins or loses cleanly); a failure is retried with backoff;
//  4. host cleanup: destroy the leftover domains of instances deleted in the
//     records only.
// Several replicas share the work without a leader: each kind's batch is
// claimed with a lease (Store.claimDue: FOR UPDATE SKIP LOCKED on
// PostgreSQL), so two replicas never get the same row in one period; the
// leases of rows left untouched (host not ready, no longer due) are given
// back at the end of the tick, and a dead replica's leases simply expire.
// Each tick first recovers rows whose task lease expired (their replica
// died mid-task: recovery.ts).
import { randomUUID } from 'node:crypto';

import { errorMessage } from '../errors';
import { reclaimInstance } from './deletes';
import { recoverInterrupted } from './recovery';
import type { Deps } from './deps';
import { runHostCleanup, runPendingPowerOff } from './pending';
import type { DueWork } from './store';
import type { InstanceRow, RequestContext } from './types';
import { runPendingDetach } from './volumes';

export interface PeriodicOptions {
  /** Seconds between ticks (fractions allowed); 0 = no timer (runOnce() only). */
  pollSeconds: number;
  /** Rows of each kind handled per tick at most (default 2,000). */
  batch?: number;
  /** Agent calls in flight per host (default 8); hosts run in parallel. */
  perHostConcurrency?: number;
}

function groupByHost<T extends { host: string }>(rows: T[]): Map<string, T[]> {
  const byHost = new Map<string, T[]>();
  for (const row of rows) {
    const list = byHost.get(row.host);
    if (list) list.push(row);
    else byHost.set(row.host, [row]);
  }
  return byHost;
}

/** Runs fn over items with at most `limit` in flight. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Host name → its health check of this tick. */
type HostChecks = Map<string, Promise<boolean>>;

export interface TickResult {
  /** Rows whose task lease had expired (another replica died mid-task). */
  recovered: number;
  poweredOff: number;
  detached: number;
  reclaimed: number;
  cleaned: number;
}

export class PeriodicTasks {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly options: PeriodicOptions,
  ) {}

  start(): void {
    if (this.timer || this.options.pollSeconds <= 0) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'periodic tick failed'));
    }, this.options.pollSeconds * 1000);
  }

  /** Stops the timer and waits for a running tick. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One tick; joins the running one if there is one. */
  runOnce(): Promise<TickResult> {
    this.running ??= (async () => {
      // One health check per host per tick.
      const ready: HostChecks = new Map();
      try {
        const recovered = await this.recoverExpiredOnce();
        const poweredOff = await this.pendingPowerOffsOnce(ready);
        const detached = await this.pendingDetachesOnce(ready);
        const reclaimed = await this.reclaimOnce(ready);
        const cleaned = await this.cleanupOnce(ready);
        return { recovered, poweredOff, detached, reclaimed, cleaned };
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private ctx(task: string): RequestContext {
    return { requestId: `req-${task}-${randomUUID()}`, user: `virt-controller/${task}` };
  }

  /** Whether the host's work runs this tick: configured, and its health check answers SERVING now. */
  private hostReady(host: string, ready: HostChecks): Promise<boolean> {
    let p = ready.get(host);
    if (!p) {
      const { agents, logger } = this.deps;
      if (!agents.has(host)) {
        logger.warn({ host }, 'work pending for a host that is no longer configured');
        p = Promise.resolve(false);
      } else p = agents.healthy(host);
      ready.set(host, p);
    }
    return p;
  }

  /** Runs `each` over the rows of ready hosts, hosts in parallel; returns how many returned true. */
  private async perHost<T extends { host: string }>(rows: T[], ready: HostChecks, what: string, each: (row: T) => Promise<boolean>)
    : Promise<number> {
    let done = 0;
    await Promise.all([...groupByHost(rows)].map(async ([host, list]) => {
      if (!(await this.hostReady(host, ready))) return;
      await forEachLimit(list, this.options.perHostConcurrency ?? 8, async (row) => {
        if (this.stopped) return;
        try {
          if (await each(row)) done++;
        } catch (err) {
          this.deps.logger.warn({ host, err: errorMessage(err) }, `${what} failed`);
        }
      });
    }));
    return done;
  }

  /** Rows whose task lease expired (their replica died mid-task), put where they can be finished. */
  async recoverExpiredOnce(): Promise<number> {
    const n = await recoverInterrupted(this.deps, false);
    if (n > 0) this.deps.logger.warn({ instances: n }, 'instances whose replica lost its lease mid-task were recovered');
    return n;
  }

  /**
   * Claims a batch of `work` under this replica's lease, runs `each` over it
   * (per host), then gives back the leases of the rows it did not finish.
   */
  private async leased(work: DueWork, ready: HostChecks, what: string, each: (row: InstanceRow) => Promise<boolean>, cutoff?: number)
    : Promise<number> {
    const { store, replica } = this.deps;
    const now = store.clock.now();
    const rows = await store.leases.claimDue(work, { owner: replica.id, now, expiresAt: now + replica.batchLeaseMs, limit: this.options.batch ?? 2000 }, cutoff);
    try {
      return await this.perHost(rows, ready, what, each);
    } finally {
      await store.leases.releaseLeases(replica.id, rows.map((r) => r.uuid))
        .catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'giving back leases failed; they expire'));
    }
  }

  /** Power-offs owed by soft deletes done in the records only; returns how many were done. */
  pendingPowerOffsOnce(ready: HostChecks = new Map()): Promise<number> {
    const ctx = this.ctx('pending-power-off');
    return this.leased('power_off', ready, 'pending power-off', (row) => runPendingPowerOff(this.deps, row.uuid, ctx));
  }

  /** Detaches whose host was down or did not answer; returns how many volumes became available. */
  async pendingDetachesOnce(ready: HostChecks = new Map()): Promise<number> {
    const ctx = this.ctx('pending-detach');
    const rows = await this.deps.store.pendingDetaches(this.options.batch ?? 2000);
    return this.perHost(rows, ready, 'pending detach', (v) => runPendingDetach(this.deps, v, ctx));
  }

  /**
   * Reclaims the instances due now; returns how many this tick deleted. Each
   * host's agent serializes per domain, not per host, so hosts are reclaimed
   * in parallel and each with a few destroys in flight.
   */
  reclaimOnce(ready: HostChecks = new Map()): Promise<number> {
    const { store, config, logger } = this.deps;
    const cutoff = store.clock.now() - config.reclaimIntervalSeconds * 1000;
    const ctx = this.ctx('reclaim');
    return this.leased('reclaim', ready, 'reclaim', async (row) => {
      const done = await reclaimInstance(this.deps, row.uuid, cutoff, ctx);
      if (done) logger.info({ uuid: row.uuid, vm_state: done.vm_state, reclaim_attempts: done.reclaim_attempts }, 'reclaim attempted');
      return done?.vm_state === 'deleted';
    }, cutoff);
  }

  /** Destroys leftover domains on hosts that are back; returns how many were cleaned. */
  cleanupOnce(ready: HostChecks = new Map()): Promise<number> {
    const ctx = this.ctx('host-cleanup');
    return this.leased('cleanup', ready, 'host cleanup', (row) => runHostCleanup(this.deps, row.uuid, ctx));
  }
}
