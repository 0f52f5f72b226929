// The periodic tasks, one tick every poll interval (never two at once):
//  - reclaim: hard delete soft-deleted instances whose deleted_at is older
//    than the reclaim interval, each claimed with a CAS first (a concurrent
//    restore wins or loses cleanly);
//  - host cleanup: for hosts with locally deleted instances, health-check the
//    agent and, once it answers, destroy the leftover domains.
import { randomUUID } from 'node:crypto';

import { errorMessage } from '../errors';
import { cleanupHostDomain, reclaimInstance } from './deletes';
import type { Deps } from './lifecycle';
import type { InstanceRow, RequestContext } from './types';

export interface PeriodicOptions {
  /** Seconds between ticks (fractions allowed); 0 = no timer (runOnce() only). */
  pollSeconds: number;
  /** Instances reclaimed per tick at most (default 2,000). */
  batch?: number;
  /** Destroys in flight per host during a reclaim (default 8); hosts run in parallel. */
  perHostConcurrency?: number;
}

function groupByHost(rows: InstanceRow[]): Map<string, InstanceRow[]> {
  const byHost = new Map<string, InstanceRow[]>();
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

export interface TickResult {
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
      try {
        const reclaimed = await this.reclaimOnce();
        const cleaned = await this.cleanupOnce();
        return { reclaimed, cleaned };
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private ctx(task: string): RequestContext {
    return { requestId: `req-${task}-${randomUUID()}`, user: `virt-controller/${task}` };
  }

  /**
   * Reclaims the instances due now; returns how many this tick deleted. Each
   * host's agent serializes per domain, not per host, so hosts are reclaimed
   * in parallel and each with a few destroys in flight.
   */
  async reclaimOnce(): Promise<number> {
    const { store, config, logger } = this.deps;
    const cutoff = store.clock.now() - config.reclaimIntervalSeconds * 1000;
    const due = store.reclaimable(cutoff, this.options.batch ?? 2000);
    const byHost = groupByHost(due);
    const ctx = this.ctx('reclaim');
    let reclaimed = 0;
    await Promise.all([...byHost.values()].map((rows) => forEachLimit(rows, this.options.perHostConcurrency ?? 8, async (row) => {
      if (this.stopped) return;
      try {
        const done = await reclaimInstance(this.deps, row.uuid, cutoff, ctx);
        if (done?.vm_state === 'deleted') reclaimed++;
        if (done) logger.info({ uuid: row.uuid, vm_state: done.vm_state, needs_host_cleanup: done.needs_host_cleanup === 1 }, 'reclaimed');
      } catch (err) {
        logger.warn({ uuid: row.uuid, err: errorMessage(err) }, 'reclaim failed');
      }
    })));
    return reclaimed;
  }

  /** Destroys leftover domains on hosts whose agent answers again; returns how many were cleaned. */
  async cleanupOnce(): Promise<number> {
    const { store, agents, logger } = this.deps;
    const byHost = groupByHost(store.pendingCleanups());
    const ctx = this.ctx('host-cleanup');
    let cleaned = 0;
    for (const [host, rows] of byHost) {
      if (this.stopped) break;
      if (!agents.has(host)) {
        logger.warn({ host, pending: rows.length }, 'host cleanup pending for a host that is no longer configured');
        continue;
      }
      if (!(await agents.healthy(host))) continue;
      for (const row of rows) {
        if (this.stopped) break;
        if (await cleanupHostDomain(this.deps, row, ctx)) cleaned++;
      }
    }
    return cleaned;
  }
}
