// The hosts the controller drives: those configured with --agent (static)
// and those whose agents registered (agent flag --controller). A
// registration records the host and points the agent pool at its address;
// a heartbeat is a contact for host liveness (down after
// service_down_seconds without one, liveness.ts). Both are written to the
// hosts table, so every replica learns of them: refresh() (on a timer)
// reads the table back into the pool and into liveness. A disabled host
// gets no new instances (SetHostDisabled, like `openstack compute service
// set --disable`); everything else on it goes on.
import { FailedPrecondition, InvalidArgument, NotFound, errorMessage } from '../errors';
import type { Logger } from '../logging';
import type { AgentPool } from './agent-client';
import { checkHost } from './config';
import { HostStore, type HostRow, type Registration } from './hosts-store';
import type { HostLiveness, HostState } from './liveness';
import type { Store } from './store';

export interface HostView extends HostRow {
  state: HostState;
  instance_count: number;
}

export interface HostRegistryOptions {
  store: Store;
  agents: AgentPool;
  liveness: HostLiveness;
  logger: Logger;
  /** The agents' heartbeat interval, told to them in every HeartbeatResponse. */
  reportIntervalSeconds: number;
  /** Hosts from --agent / --hosts-file: their configured address wins over a registration. */
  staticHosts: ReadonlyMap<string, string>;
}

const MAX_REASON = 255;

export class HostRegistry {
  readonly hosts: HostStore;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HostRegistryOptions) {
    this.hosts = new HostStore(options.store.engine, options.store.clock);
  }

  /** At start-up: the static hosts recorded, the registered ones loaded. */
  async init(): Promise<void> {
    for (const [name, address] of this.options.staticHosts) await this.hosts.upsertStatic(name, address);
    await this.refresh();
  }

  /** Reads the hosts table back (other replicas' registrations and heartbeats) every intervalMs; 0 = never. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.options.logger.warn({ err: errorMessage(err) }, 'reading the hosts table failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    for (const row of await this.hosts.all()) this.learn(row);
  }

  private learn(row: Pick<HostRow, 'name' | 'address' | 'last_heartbeat_at' | 'static'>): void {
    const { agents, liveness, staticHosts } = this.options;
    // A host once configured with --agent, no longer, and never registered since: not driven (only listed).
    if (row.static === 1 && !staticHosts.has(row.name)) return;
    if (!staticHosts.has(row.name) && agents.setAddress(row.name, row.address)) {
      this.options.logger.info({ host: row.name, address: row.address }, 'agent address from its registration');
    }
    liveness.addHost(row.name);
    if (row.last_heartbeat_at !== null) liveness.recordContact(row.name, row.last_heartbeat_at);
  }

  async register(r: Registration): Promise<HostView> {
    try {
      checkHost(r.name, r.address, 'RegisterHost');
    } catch (err) {
      throw new InvalidArgument(/address/.test(errorMessage(err)) ? 'address' : 'name', errorMessage(err).replace(/^RegisterHost: /, ''));
    }
    for (const [field, v] of [['libvirt_uri', r.libvirt_uri], ['libvirt_version', r.libvirt_version], ['agent_version', r.agent_version]] as const) {
      if (v.length > 1024) throw new InvalidArgument(field, 'at most 1024 characters');
    }
    for (const [field, v] of [['vcpus', r.vcpus], ['memory_mib', r.memory_mib]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgument(field, 'must be a non-negative integer');
    }
    const staticAddress = this.options.staticHosts.get(r.name);
    if (staticAddress !== undefined && staticAddress !== r.address) {
      this.options.logger.warn({ host: r.name, registered: r.address, configured: staticAddress }, 'registration of a static host: the configured address is kept');
    }
    await this.hosts.register(r, staticAddress !== undefined);
    const now = this.options.store.clock.now();
    this.learn({ name: r.name, address: staticAddress ?? r.address, last_heartbeat_at: now, static: staticAddress !== undefined ? 1 : 0 });
    this.options.logger.info({ host: r.name, address: r.address, libvirt_uri: r.libvirt_uri, libvirt_version: r.libvirt_version }, 'host registered');
    return this.view(r.name);
  }

  async heartbeat(name: string): Promise<{ reportIntervalSeconds: number }> {
    if (typeof name !== 'string' || name === '') throw new InvalidArgument('name', 'is required');
    const now = this.options.store.clock.now();
    if (!(await this.hosts.heartbeat(name, now))) throw new NotFound(`host ${name.slice(0, 255)} is not registered; register it again`);
    this.options.liveness.recordContact(name, now);
    return { reportIntervalSeconds: this.options.reportIntervalSeconds };
  }

  async list(): Promise<HostView[]> {
    const counts = new Map((await this.options.store.counts.instanceCountsByHost()).map((c) => [c.host, c.n]));
    return (await this.hosts.all()).map((row) => this.withState(row, counts.get(row.name) ?? 0));
  }

  async view(name: string): Promise<HostView> {
    const row = await this.hosts.get(name);
    if (!row) throw new NotFound(`host ${name.slice(0, 255)} not found`);
    const count = (await this.options.store.counts.instanceCountsByHost()).find((c) => c.host === name)?.n ?? 0;
    return this.withState(row, count);
  }

  private withState(row: HostRow, instanceCount: number): HostView {
    return { ...row, state: this.options.liveness.state(row.name), instance_count: instanceCount };
  }

  async setDisabled(host: string | undefined, disabled: boolean, reason: string | undefined): Promise<HostView> {
    if (typeof host !== 'string' || host === '') throw new InvalidArgument('host', 'is required');
    const why = (reason ?? '').trim();
    if (why.length > MAX_REASON) throw new InvalidArgument('reason', `at most ${MAX_REASON} characters`);
    if (!(await this.hosts.setDisabled(host, disabled, why))) throw new NotFound(`host ${host.slice(0, 255)} not found`);
    this.options.logger.warn({ host, disabled, reason: why }, disabled ? 'host disabled: no new instances on it' : 'host enabled');
    return this.view(host);
  }

  /** Throws FAILED_PRECONDITION when new instances may not go to `host`. */
  async requireEnabled(host: string): Promise<void> {
    const d = await this.hosts.isDisabled(host);
    if (d.disabled) throw new FailedPrecondition(`host ${host} is disabled${d.reason ? ` (${d.reason})` : ''}: no new instances on it`);
  }
}
