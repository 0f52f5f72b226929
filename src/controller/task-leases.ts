// Task leases kept alive while their task runs. A claim takes a lease of
// --task-lease-seconds (claim.ts); another replica's recovery takes the row
// once that lease has expired (recovery.ts). Without renewal a task that
// outlives its lease while its replica is alive — a slow clean shutdown, an
// agent call retried, an LV being wiped — would be "recovered" under it: a
// restore undone by a pending power-off, a delete marked failed that went
// through. So the replica renews the leases of the tasks it is running,
// every third of a lease, and a lease now expires only when its replica
// stopped renewing it: it died, or it lost the database. A task that runs
// longer than `maxTaskMs` (a bug: every agent call has a deadline) is no
// longer renewed, so no row is held for ever. A running detach has no lease
// of its own: another replica's recovery takes it once its volume row is
// older than a task lease, so the replica touches the rows of the detaches it
// runs in the same renewal.
import type { Logger } from '../logging';
import type { Store } from './store';

export interface TaskLeaseOptions {
  owner: string;
  taskLeaseMs: number;
  /** How long one task's lease is renewed at most (default an hour). */
  maxTaskMs?: number;
}

export class TaskLeases {
  /** uuid → when its task was claimed (the store clock's ms). */
  private readonly held = new Map<string, number>();
  /** volume id → when its detach started. */
  private readonly detaches = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<number> | undefined;
  readonly maxTaskMs: number;

  constructor(private readonly store: Store, private readonly logger: Logger, private readonly opts: TaskLeaseOptions) {
    this.maxTaskMs = opts.maxTaskMs ?? 3_600_000;
  }

  /** A task on `uuid` started (its claim committed). */
  hold(uuid: string): void {
    this.held.set(uuid, this.store.clock.now());
  }

  /** Its task ended (completed, or its completion failed). */
  release(uuid: string): void {
    this.held.delete(uuid);
  }

  /** A detach of volume `id` is running (its agent call). */
  holdDetach(id: string): void {
    this.detaches.set(id, this.store.clock.now());
  }

  releaseDetach(id: string): void {
    this.detaches.delete(id);
  }

  /** Tasks and detaches held. */
  get size(): number {
    return this.held.size + this.detaches.size;
  }

  /**
   * Extends every held lease to a full lease from now; returns how many rows
   * were extended. A row no longer ours (recovered by another replica after a
   * long database outage) is not touched. One renewal at a time.
   */
  renew(): Promise<number> {
    this.renewing ??= this.renewHeld().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewHeld(): Promise<number> {
    const now = this.store.clock.now();
    const uuids = this.current(this.held, now, 'uuid');
    const volumes = this.current(this.detaches, now, 'volume');
    let n = 0;
    if (uuids.length > 0) n += await this.store.leases.renewTaskLeases(this.opts.owner, uuids, now + this.opts.taskLeaseMs);
    if (volumes.length > 0) n += await this.store.leases.touchRunningDetaches(volumes);
    return n;
  }

  /** The keys held for less than maxTaskMs; older ones are dropped (and said). */
  private current(map: Map<string, number>, now: number, what: 'uuid' | 'volume'): string[] {
    const out: string[] = [];
    for (const [key, since] of map) {
      if (now - since < this.maxTaskMs) out.push(key);
      else {
        map.delete(key);
        this.logger.warn({ [what]: key, running_ms: now - since }, 'task ran past the longest a task may run: its lease is no longer renewed');
      }
    }
    return out;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.renew().catch((err: unknown) => this.logger.warn({ err }, 'renewing task leases failed (retried next interval)'));
    }, Math.max(1000, Math.floor(this.opts.taskLeaseMs / 3)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing?.catch(() => undefined);
  }
}
