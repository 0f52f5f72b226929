// Clients for the hosts' agents: one grpc-js channel per host (HostAgent and
// Health share it), every call with a deadline, and bounded retries with
// backoff on UNAVAILABLE / DEADLINE_EXCEEDED for the calls that are safe to
// repeat (the caller says so; the agent dedupes by request id).
import * as grpc from '@grpc/grpc-js';

import { AppError, errorMessage, type ErrorKind } from '../errors';
import {
  AGENT_PROTO, AGENT_SERVICE, HEALTH_SERVICE, type AgentMethod, type AgentRequest, type AgentResponse, type HealthDefinition,
  type HostAgentDefinition,
} from '../grpc/contract';
import { loadProtos } from '../grpc/protos';
import { answeredByServer } from '../grpc/status';
import { nameOf } from '../enums';
import type { Logger } from '../logging';

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface AgentPoolOptions {
  /** Host name → agent address (HOST:PORT or unix:///path); registered hosts are added with setAddress(). */
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
    /** The agent sent this status (its kind trailer): it is up and answered, even with UNAVAILABLE. */
    readonly answered = false,
  ) {
    super(`agent ${host} ${method}: ${nameOf(grpc.status, code) ?? code}: ${details}`);
    this.name = 'AgentError';
  }

  /** "host h1 did not answer", or for a status the agent itself sent, "host h1 could not act now (UNAVAILABLE)". */
  get silence(): string {
    return this.answered ? `host ${this.host} could not act now (${nameOf(grpc.status, this.code) ?? this.code})` : `host ${this.host} did not answer`;
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

/** One channel per host: HostAgent and Health calls share it. */
interface Entry {
  client: grpc.Client;
}

/** The serialization half of a generated method definition. */
interface Method<Req, Res> {
  path: string;
  requestSerialize: (value: Req) => Buffer;
  responseDeserialize: (bytes: Buffer) => Res;
}

let cachedDefinitions: { agent: HostAgentDefinition; health: HealthDefinition } | undefined;
/** The HostAgent and Health definitions, loaded once from proto/. */
export function agentDefinitions(): { agent: HostAgentDefinition; health: HealthDefinition } {
  if (!cachedDefinitions) {
    const protos = loadProtos([AGENT_PROTO]);
    cachedDefinitions = { agent: protos.serviceDefinition(AGENT_SERVICE), health: protos.serviceDefinition(HEALTH_SERVICE) };
  }
  return cachedDefinitions;
}

/** What the controller needs from its agents (AgentPool; a fake in unit tests). */
export interface AgentApi {
  hostNames(): string[];
  has(host: string): boolean;
  /** True when the host's agent answers its health check with SERVING. Never throws. */
  healthy(host: string): Promise<boolean>;
  /**
   * One HostAgent call, typed by its method: a misspelt method or request
   * field does not compile. Rejects with an AgentError (or an AppError before
   * anything was sent).
   */
  call<M extends AgentMethod>(host: string, method: M, req: AgentRequest<M>, opts: CallOptions): Promise<AgentResponse<M>>;
}

export class AgentPool implements AgentApi {
  private readonly entries = new Map<string, Entry>();
  private readonly addresses: Map<string, string>;
  private readonly sleep: (ms: number) => Promise<void>;
  private closed = false;

  constructor(private readonly options: AgentPoolOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.addresses = new Map(options.hosts);
  }

  hostNames(): string[] {
    return [...this.addresses.keys()];
  }

  has(host: string): boolean {
    return this.addresses.has(host);
  }

  address(host: string): string | undefined {
    return this.addresses.get(host);
  }

  /** A host (registered by its agent) and its address; a changed address drops the old channel. Returns whether anything changed. */
  setAddress(host: string, address: string): boolean {
    if (this.addresses.get(host) === address) return false;
    this.addresses.set(host, address);
    const old = this.entries.get(host);
    if (old) {
      this.entries.delete(host);
      old.client.close();
    }
    return true;
  }

  private entry(host: string): Entry {
    if (this.closed) throw new AppError('Unavailable', 'controller is shutting down');
    let e = this.entries.get(host);
    if (e) return e;
    const address = this.addresses.get(host);
    if (address === undefined) throw new AppError('FailedPrecondition', `unknown host ${host}`);
    const channelOptions: grpc.ChannelOptions = {
      // Our own subchannels, so dropping this entry also drops the reconnect backoff.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.initial_reconnect_backoff_ms': Math.min(1000, this.options.maxReconnectBackoffMs),
      'grpc.min_reconnect_backoff_ms': Math.min(1000, this.options.maxReconnectBackoffMs),
      'grpc.max_reconnect_backoff_ms': this.options.maxReconnectBackoffMs,
    };
    const creds = this.options.credentials ?? grpc.credentials.createInsecure();
    e = { client: new grpc.Client(grpcTarget(address), creds, channelOptions) };
    this.entries.set(host, e);
    return e;
  }

  /** Drops the host's channel (after it failed) so the next call connects afresh. */
  private reset(host: string, failed: Entry): void {
    if (this.entries.get(host) !== failed) return;
    this.entries.delete(host);
    failed.client.close();
  }

  /** One attempt; `contact` says whether the answer counts as a contact (any HostAgent answer; health only when SERVING). */
  private once<Req, Res>(host: string, name: string, method: Method<Req, Res>, req: Req, deadlineMs: number,
    contact: (res: Res) => boolean): Promise<Res> {
    const e = this.entry(host);
    return new Promise<Res>((resolve, reject) => {
      e.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, req, { deadline: Date.now() + deadlineMs },
        (err, res) => {
          this.observe(host, name, err ? err.code : grpc.status.OK);
          if (!err && res !== undefined) {
            if (contact(res)) this.contact(host);
            resolve(res);
            return;
          }
          const code = err?.code ?? grpc.status.INTERNAL;
          const answered = answeredByServer(err);
          // A channel that got no answer is dropped (the next call connects afresh); one the agent answered on works.
          if (code === grpc.status.UNAVAILABLE && !answered) this.reset(host, e);
          reject(new AgentError(host, name, code, err ? err.details || errorMessage(err) : 'empty response', answered));
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
      const serving = (r: { status: string }) => r.status === 'SERVING';
      const r = await this.once(host, 'Check', agentDefinitions().health.Check, { service: AGENT_SERVICE }, this.options.healthTimeoutMs, serving);
      return serving(r);
    } catch (err) {
      this.options.logger.debug({ host, err: errorMessage(err) }, 'agent health check failed');
      return false;
    }
  }

  /** One HostAgent call, retried when `idempotent` and the failure is transient. */
  async call<M extends AgentMethod>(host: string, method: M, req: AgentRequest<M>, opts: CallOptions): Promise<AgentResponse<M>> {
    // The definition of method M serializes AgentRequest<M> and decodes AgentResponse<M>.
    const definition = agentDefinitions().agent[method] as unknown as Method<AgentRequest<M>, AgentResponse<M>>;
    const { attempts, initialBackoffMs, maxBackoffMs } = this.options.retry;
    const max = opts.idempotent ? Math.max(1, attempts) : 1;
    let backoff = initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(host, method, definition, req, opts.deadlineMs, () => true);
      } catch (err) {
        const transient = isAgentError(err) && (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED);
        if (!transient || attempt >= max || this.closed || this.options.isDown?.(host)) throw err;
        const requestId = (req as { request_id?: string }).request_id;
        this.options.logger.warn({ host, method, attempt, request_id: requestId, err: errorMessage(err) }, 'agent call failed; retrying');
        await this.sleep(backoff);
        backoff = Math.min(maxBackoffMs, backoff * 2);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) e.client.close();
    this.entries.clear();
  }
}
