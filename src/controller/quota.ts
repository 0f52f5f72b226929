// Per-project quota: instances, vCPUs and memory. Usage is derived from the
// instance rows (those with quota_held = 1; Store.quotaUsage), so it is exact
// by construction: a reservation is setting quota_held = 1 and a release is
// clearing it, in the same transaction as the state change that causes it.
// check() must be called inside that transaction: it takes the project's
// quota lock first (Store.lockQuota), so replicas decide one at a time.
import { ResourceExhausted } from '../errors';
import type { Store } from './store';
import type { QuotaCounts, QuotaLimits } from './types';

export const UNLIMITED = -1;

export interface QuotaConfig {
  defaults: QuotaLimits;
  /** Per-project overrides; missing fields fall back to the defaults. */
  projects: Record<string, Partial<QuotaLimits>>;
}

export const DEFAULT_QUOTA: QuotaLimits = { instances: 10, vcpus: 20, memoryMib: 51200 };

const RESOURCES: Array<[keyof QuotaCounts, string]> = [
  ['instances', 'instances'],
  ['vcpus', 'vcpus'],
  ['memoryMib', 'memory_mib'],
];

export class Quota {
  constructor(
    private readonly store: Store,
    private readonly config: QuotaConfig,
  ) {}

  limitsFor(projectId: string): QuotaLimits {
    return { ...this.config.defaults, ...(this.config.projects[projectId] ?? {}) };
  }

  usage(projectId: string): Promise<QuotaCounts> {
    return this.store.quotaUsage(projectId);
  }

  /** Throws ResourceExhausted, naming every exceeded resource, when `want` does not fit. */
  async check(projectId: string, want: QuotaCounts): Promise<void> {
    const limits = this.limitsFor(projectId);
    await this.store.lockQuota(projectId);
    const used = await this.usage(projectId);
    const over: string[] = [];
    for (const [key, label] of RESOURCES) {
      const limit = limits[key];
      if (limit !== UNLIMITED && used[key] + want[key] > limit) {
        over.push(`${label} (requested ${want[key]}, in use ${used[key]}, limit ${limit})`);
      }
    }
    if (over.length > 0) throw new ResourceExhausted(`quota exceeded for project ${projectId}: ${over.join('; ')}`);
  }
}
