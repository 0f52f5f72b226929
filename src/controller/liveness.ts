// Host liveness, decided the way Nova's servicegroup (DB driver) decides
// whether a nova-compute is up: per host, the time of the last successful
// contact; the host is DOWN only when nothing succeeded with it for
// service_down_seconds. One failed call, one slow health check, one
// NOT_SERVING answer never makes a host down by itself.
//
// Contacts come from:
//  - the health watch below (grpc.health.v1 Check answering SERVING);
//  - every successful agent call (AgentPool's onContact hook);
//  - heartbeats the agents push (RegisterHost / Heartbeat, hosts.ts), also
//    those another replica received (read back from the hosts table).
//
// Restart rule: last contacts are kept in memory only. When the controller
// starts, every host counts as contacted at that moment, so no host is down
// until service_down_seconds after the start without a successful contact.
// "Up" is the cautious side: it only means the controller tries the agent
// (with deadlines and bounded retries) before deciding anything; "down" is
// what allows a hard or force delete to be done in the records alone.
import { errorMessage } from '../errors';
import type { Logger } from '../logging';
import type { AgentApi } from './agent-client';
import type { Clock } from './types';

export type HostState = 'up' | 'down';

/** What the delete paths ask (a fake in some unit tests). */
export interface Liveness {
  isDown(host: string): boolean;
  /** "host h1 is down (no successful contact for 75 s; service_down_seconds 60)" */
  describe(host: string): string;
  recordContact(host: string, at?: number): void;
}

export interface LivenessOptions {
  clock: Clock;
  serviceDownSeconds: number;
  /** The configured hosts (counted in states()); others are tracked when contacted. */
  hosts: Iterable<string>;
}

export class HostLiveness implements Liveness {
  private readonly last = new Map<string, number>();
  private readonly clock: Clock;
  private readonly downMs: number;
  private readonly hosts: Set<string>;
  /** Every host's grace: contacted, as far as the controller knows, when it started. */
  readonly startedAt: number;

  constructor(options: LivenessOptions) {
    if (!(options.serviceDownSeconds > 0)) throw new Error(`serviceDownSeconds must be > 0, got ${options.serviceDownSeconds}`);
    this.clock = options.clock;
    this.downMs = options.serviceDownSeconds * 1000;
    this.hosts = new Set(options.hosts);
    this.startedAt = this.clock.now();
  }

  /** A host that registered: counted in states() from now on. */
  addHost(host: string): void {
    this.hosts.add(host);
  }

  get serviceDownSeconds(): number {
    return this.downMs / 1000;
  }

  /**
   * A successful contact with the host's agent at `at` (default now). Later
   * contacts win; an older timestamp (a late heartbeat) never moves it back.
   */
  recordContact(host: string, at = this.clock.now()): void {
    const prev = this.last.get(host);
    if (prev === undefined || at > prev) this.last.set(host, at);
  }

  /** The last successful contact (epoch ms), or undefined when none since the start. */
  lastContact(host: string): number | undefined {
    return this.last.get(host);
  }

  /** Milliseconds since the last contact (or since the controller started, if later). */
  silentForMs(host: string): number {
    return Math.max(0, this.clock.now() - Math.max(this.last.get(host) ?? this.startedAt, this.startedAt));
  }

  isDown(host: string): boolean {
    return this.silentForMs(host) > this.downMs;
  }

  state(host: string): HostState {
    return this.isDown(host) ? 'down' : 'up';
  }

  describe(host: string): string {
    const silent = Math.round(this.silentForMs(host) / 1000);
    const since = this.last.has(host) ? 'no successful contact' : 'no successful contact since the controller started';
    return `host ${host} is ${this.state(host)} (${since} for ${silent} s; service_down_seconds ${this.serviceDownSeconds})`;
  }

  /** Every configured host with its state. */
  states(): Array<{ host: string; state: HostState; lastContact: number | undefined }> {
    return [...this.hosts].map((host) => ({ host, state: this.state(host), lastContact: this.last.get(host) }));
  }
}

/**
 * Checks every host's agent health on a timer (each host on its own, never
 * two checks of one host at once, each with the pool's health deadline). A
 * SERVING answer is a contact (AgentPool records it); state changes are logged.
 */
export class HealthWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly seen = new Map<string, HostState>();

  constructor(
    private readonly agents: AgentApi,
    private readonly liveness: HostLiveness,
    private readonly logger: Logger,
    /** 0 = no timer (checkOnce() only). */
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.checkOnce().catch((err: unknown) => this.logger.error({ err: errorMessage(err) }, 'health watch failed'));
    }, this.intervalMs);
    this.timer.unref();
    void this.checkOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** One round over every configured host; a host whose previous check still runs is skipped. */
  async checkOnce(): Promise<void> {
    await Promise.all(this.agents.hostNames().map((host) => {
      const running = this.inFlight.get(host);
      if (running) return running;
      const p = this.agents.healthy(host).then(() => this.noteState(host)).finally(() => this.inFlight.delete(host));
      this.inFlight.set(host, p);
      return p;
    }));
  }

  private noteState(host: string): void {
    const now = this.liveness.state(host);
    const before = this.seen.get(host);
    this.seen.set(host, now);
    if (before === undefined || before === now) return;
    if (now === 'down') this.logger.warn({ host }, `${this.liveness.describe(host)}: deletes on it are done in the records only`);
    else this.logger.info({ host }, `host ${host} is up again`);
  }
}
