// Clients for the hosts' agents: one grpc-js channel per host (HostAgent and
// Health share it), every call with a deadline, and bounded retries with
// backoff on UNAVAILABLE / DEADLINE_EXCEEDED for the calls that are safe to
// repeat (the caller says so; the agent dedupes by request id).
import * as grpc from '@grpc/grpc-js';

import { AppError, errorMessage, type ErrorKind } from '../errors';
import { loadProtos } from '../grpc/protos';
import type { Logger } from '../logging';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader messages are plain objects */
export type Msg = Record<string, any>;

export const AGENT_SERVICE = 'virtagent.v1.HostAgent';

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface AgentPoolOptions {
  /** Host name → agent address (HOST:PORT or unix:///path). */
  hosts: ReadonlyMap<string, string>;
  logger: Logger;
  retry: RetryPolicy;
  /** Deadline of a health check. */
  healthTimeoutMs: number;
  /** TLS toward the agents (mutual: the controller presents its certificate); default plaintext. */
  credentials?: grpc.ChannelCredentials;
  /** Cap of grpc-js's reconnect backoff, so a returning agent is seen soon. */
  maxReconnectBackoffMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every successful answer (health SERVING included): host liveness. */
  onContact?: (host: string) => void;
  /** Told of every attempt's outcome (metrics); method "Check" is the health check. */
  onCall?: (host: string, method: string, code: grpc.status) => void;
  /** Consulted before a retry: a host declared down is not retried further. */
  isDown?: (host: string) => boolean;
}

export interface CallOptions {
  deadlineMs: number;
  /** Safe to repeat (same request id): retried on UNAVAILABLE / DEADLINE_EXCEEDED. */
  idempotent: boolean;
}

const CODE_KIND: Partial<Record<grpc.status, ErrorKind>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.ABORTED]: 'Conflict',
  [grpc.status.ALREADY_EXISTS]: 'Conflict',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
  [grpc.status.DEADLINE_EXCEEDED]: 'Timeout',
};

/** A failed agent call: the gRPC code and details as the agent (or grpc-js) gave them. */
export class AgentError extends Error {
  constructor(
    readonly host: string,
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`agent ${host} ${method}: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'AgentError';
  }

  /** The agent could not be reached (or dropped the connection). */
  get unreachable(): boolean {
    return this.code === grpc.status.UNAVAILABLE;
  }

  /** No answer: unreachable, or no answer within the deadline (whether the agent acted is unknown). */
  get noAnswer(): boolean {
    return this.code === grpc.status.UNAVAILABLE || this.code === grpc.status.DEADLINE_EXCEEDED;
  }

  /** The same error in the project's taxonomy (INTERNAL for anything unmapped). */
  toAppError(prefix = ''): AppError {
    const kind = CODE_KIND[this.code] ?? 'Internal';
    return new AppError(kind, `${prefix}${this.message}`, { cause: this });
  }
}

export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** grpc-js target for an address as configured. */
export function grpcTarget(address: string): string {
  if (address.startsWith('unix://')) return `unix:${address.slice('unix://'.length)}`;
  return address;
}

interface Entry {
  agent: grpc.Client & Msg;
  health: grpc.Client & Msg;
}

let cachedPackage: Msg | undefined;
function agentPackage(): Msg {
  cachedPackage ??= grpc.loadPackageDefinition(loadProtos(['virtagent/v1/agent.proto']).packageDefinition) as Msg;
  return cachedPackage;
}

/** What the controller needs from its agents (AgentPool; a fake in unit tests). */
export interface AgentApi {
  hostNames(): string[];
  has(host: string): boolean;
  /** True when the host's agent answers its health check with SERVING. Never throws. */
  healthy(host: string): Promise<boolean>;
  /** Rejects with an AgentError (or an AppError before anything was sent). */
  call<T = Msg>(host: string, method: string, req: Msg, opts: CallOptions): Promise<T>;
}

export class AgentPool implements AgentApi {
  private readonly entries = new Map<string, Entry>();
  private readonly sleep: (ms: number) => Promise<void>;
  private closed = false;

  constructor(private readonly options: AgentPoolOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  hostNames(): string[] {
    return [...this.options.hosts.keys()];
  }

  has(host: string): boolean {
    return this.options.hosts.has(host);
  }

  private entry(host: string): Entry {
    if (this.closed) throw new AppError('Unavailable', 'controller is shutting down');
    let e = this.entries.get(host);
    if (e) return e;
    const address = this.options.hosts.get(host);
    if (address === undefined) throw new AppError('FailedPrecondition', `unknown host ${host}`);
    const pkg = agentPackage();
    const channelOptions: grpc.ChannelOptions = {
      // Our own subchannels, so dropping this entry also drops the reconnect backoff.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.initial_reconnect_backoff_ms': Math.min(1000, this.options.maxReconnectBackoffMs),
      'grpc.min_reconnect_backoff_ms': Math.min(1000, this.options.maxReconnectBackoffMs),
      'grpc.max_reconnect_backoff_ms': this.options.maxReconnectBackoffMs,
    };
    const creds = this.options.credentials ?? grpc.credentials.createInsecure();
    const agent = new pkg.virtagent.v1.HostAgent(grpcTarget(address), creds, channelOptions) as grpc.Client & Msg;
    const health = new pkg.grpc.health.v1.Health(grpcTarget(address), creds, { ...channelOptions, channelOverride: agent.getChannel() }) as grpc.Client & Msg;
    e = { agent, health };
    this.entries.set(host, e);
    return e;
  }

  /** Drops the host's channel (after it failed) so the next call connects afresh. */
  private reset(host: string, failed: Entry): void {
    if (this.entries.get(host) !== failed) return;
    this.entries.delete(host);
    failed.agent.close();
  }

  private once<T>(host: string, client: 'agent' | 'health', method: string, req: Msg, deadlineMs: number): Promise<T> {
    const e = this.entry(host);
    return new Promise<T>((resolve, reject) => {
      e[client][method](req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: T) => {
        this.observe(host, method, err ? err.code : grpc.status.OK);
        if (!err) {
          if (client === 'agent' || (res as Msg | undefined)?.status === 'SERVING') this.contact(host);
          return resolve(res);
        }
        if (err.code === grpc.status.UNAVAILABLE) this.reset(host, e);
        reject(new AgentError(host, method, err.code, err.details || errorMessage(err)));
      });
    });
  }

  private contact(host: string): void {
    try {
      this.options.onContact?.(host);
    } catch (err) {
      this.options.logger.error({ host, err: errorMessage(err) }, 'contact hook failed');
    }
  }

  private observe(host: string, method: string, code: grpc.status): void {
    try {
      this.options.onCall?.(host, method, code);
    } catch {
      // A broken metrics hook must not break the call.
    }
  }

  /**
   * True when the host's agent answers its health check with SERVING (it is
   * up and connected to libvirt). Never throws.
   */
  async healthy(host: string): Promise<boolean> {
    try {
      const r = await this.once<Msg>(host, 'health', 'Check', { service: AGENT_SERVICE }, this.options.healthTimeoutMs);
      return r.status === 'SERVING';
    } catch (err) {
      this.options.logger.debug({ host, err: errorMessage(err) }, 'agent health check failed');
      return false;
    }
  }

  /** One HostAgent call, retried when `idempotent` and the failure is transient. */
  async call<T = Msg>(host: string, method: string, req: Msg, opts: CallOptions): Promise<T> {
    const { attempts, initialBackoffMs, maxBackoffMs } = this.options.retry;
    const max = opts.idempotent ? Math.max(1, attempts) : 1;
    let backoff = initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(host, 'agent', method, req, opts.deadlineMs);
      } catch (err) {
        const transient = isAgentError(err) && (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED);
        if (!transient || attempt >= max || this.closed || this.options.isDown?.(host)) throw err;
        this.options.logger.warn({ host, method, attempt, request_id: req.request_id, err: errorMessage(err) }, 'agent call failed; retrying');
        await this.sleep(backoff);
        backoff = Math.min(maxBackoffMs, backoff * 2);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) e.agent.close();
    this.entries.clear();
  }
}
