// What every part of the controller's decision logic is handed: the store
// (all SQL), quota, the agents, host liveness, logger, settings and hooks.
import type { Logger } from '../logging';
import type { AgentApi } from './agent-client';
import type { Liveness } from './liveness';
import type { Quota } from './quota';
import type { Store } from './store';
import type { TaskLeases } from './task-leases';

export interface ServiceConfig {
  /** 0 = DeleteInstance deletes at once. */
  reclaimIntervalSeconds: number;
  /** PowerOff's clean-shutdown budget for soft delete and stop. */
  cleanShutdownTimeoutSeconds: number;
  /** PowerOn's wait for RUNNING (restore, start). */
  powerOnTimeoutSeconds: number;
  /** Deadline of DefineDomain, Destroy and DisconnectVolume calls. */
  agentTimeoutSeconds: number;
  /** Backoff of the periodic retries (reclaim, pending power-off, host cleanup, pending detach): base · 2^(n−1), at most cap. */
  retryBaseMs: number;
  retryCapMs: number;
}

/** Told of events the metrics count (no-ops when metrics are off). */
export interface ControllerHooks {
  reclaimFailed(): void;
}

export const NO_HOOKS: ControllerHooks = { reclaimFailed: () => undefined };

/** Who this controller replica is, for the leases it takes (store.ts). */
export interface ReplicaConfig {
  /** Stable across restarts of the same replica (--replica-id, default the host name), so it recovers its own rows at once. */
  id: string;
  /** How long a task claim's lease lasts: longer than any agent call with its retries. */
  taskLeaseMs: number;
  /** How long a periodic batch claim's lease lasts. */
  batchLeaseMs: number;
  /** Whether other replicas may share the database (PostgreSQL): recovery then leaves young detaches and open actions alone. */
  shared: boolean;
}

export interface Deps {
  store: Store;
  /** The host registry (hosts.ts): disabled hosts get no new instances; a host another replica registered is learnt on demand. */
  hosts?: { requireEnabled(host: string): Promise<void>; refresh(): Promise<void> };
  replica: ReplicaConfig;
  /** Renews the leases of the tasks this replica runs (task-leases.ts); absent in tests that drive time by hand. */
  leases?: Pick<TaskLeases, 'hold' | 'release' | 'holdDetach' | 'releaseDetach'>;
  quota: Quota;
  agents: AgentApi;
  /** Whether a host is down (nothing succeeded with it for service_down_seconds). */
  liveness: Liveness;
  logger: Logger;
  config: ServiceConfig;
  hooks: ControllerHooks;
}

/** Backoff of the periodic retries: base · 2^(attempts−1), at most cap. */
export function retryDelayMs(attempts: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

/** When the next periodic retry of something that failed `attempts` times is due (epoch ms). */
export function nextRetryAt(deps: Deps, attempts: number): number {
  return deps.store.clock.now() + retryDelayMs(attempts, deps.config.retryBaseMs, deps.config.retryCapMs);
}
