// A scripted stand-in for the controller's agent pool, and a service wired to
// it on a temp SQLite file (or, with VIRT_TEST_DB=postgres, a fresh database
// on the run's PostgreSQL cluster), for the controller's unit tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';

import { agentDefinitions, AgentError, type AgentApi, type CallOptions } from '../../src/controller/agent-client';
import type { AgentMethod, AgentRequest, AgentResponse } from '../../src/grpc/contract';
import { NO_HOOKS, type Deps, type ServiceConfig } from '../../src/controller/deps';
import { HostLiveness } from '../../src/controller/liveness';
import { Quota, type QuotaConfig } from '../../src/controller/quota';
import { PeriodicTasks } from '../../src/controller/periodic';
import { ControllerService } from '../../src/controller/service';
import { openEngine, type SqlEngine, type SqlValue } from '../../src/controller/sql';
import { Store } from '../../src/controller/store';
import type { RequestContext } from '../../src/controller/types';
import { ManualClock } from '../helpers/clocks';
import { freshDatabase, testEngine } from '../helpers/pg';
import { silentLogger } from '../../src/logging';


export type Msg = Record<string, any>;

export interface RecordedCall {
  host: string;
  method: string;
  req: Msg;
  opts: CallOptions;
}

type Handler = (req: Msg) => Msg | Promise<Msg>;

/** What every fake agent reports as its instances directory. */
export const INSTANCES_PATH = '/var/lib/nova/instances';

export class FakeAgents implements AgentApi {
  readonly calls: RecordedCall[] = [];
  readonly healthChecks: string[] = [];
  /** Hosts whose agent is down: health fails, calls are UNAVAILABLE. */
  readonly down = new Set<string>();
  /** Hosts whose agent is paused: health fails, calls end DEADLINE_EXCEEDED (the agent may or may not act). */
  readonly paused = new Set<string>();
  /** Told of every successful answer, as AgentPool does (host liveness). */
  onContact: (host: string) => void = () => undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly failures = new Map<string, Array<{ code: grpc.status; details: string }>>();

  constructor(private readonly hosts: string[] = ['h1', 'h2']) {
    this.on('DefineDomain', (req) => ({ uuid: /<uuid>([^<]+)<\/uuid>/.exec(String(req.xml))?.[1] ?? '', power_state: 'POWER_STATE_RUNNING' }));
    this.on('GetHostInfo', () => ({ hostname: 'fake', connected: true, instances_path: INSTANCES_PATH }));
    this.on('PowerOff', () => ({ clean: true, power_state: 'POWER_STATE_SHUTOFF' }));
    this.on('PowerOn', () => ({ started: true, power_state: 'POWER_STATE_RUNNING' }));
    this.on('Destroy', () => ({ found: true, warnings: [] }));
    this.on('DisconnectVolume', () => ({ detached_from_domain: true, host_disconnected: true, warnings: [] }));
    this.on('GetDomain', (req) => ({ uuid: req.domain?.uuid, power_state: 'POWER_STATE_RUNNING', disks: [] }));
  }

  hostNames(): string[] {
    return [...this.hosts];
  }

  has(host: string): boolean {
    return this.hosts.includes(host);
  }

  async healthy(host: string): Promise<boolean> {
    this.healthChecks.push(host);
    const ok = !this.down.has(host) && !this.paused.has(host);
    if (ok) this.onContact(host);
    return ok;
  }

  on(method: string, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  /** The next calls of `method` fail with `code` (once per entry). */
  failNext(method: string, code: grpc.status, details = 'scripted failure', times = 1): this {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push({ code, details });
    this.failures.set(method, list);
    return this;
  }

  /** Drops every scripted failure not yet used. */
  clearFailures(): void {
    this.failures.clear();
  }

  /** Holds calls of `method` until the returned release() is called. */
  hold(method: string): { entered: Promise<void>; release: () => void } {
    const previous = this.handlers.get(method)!;
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const enteredP = new Promise<void>((r) => (entered = r));
    this.handlers.set(method, async (req) => {
      entered();
      await gate;
      this.handlers.set(method, previous);
      return previous(req);
    });
    return { entered: enteredP, release };
  }

  async call<M extends AgentMethod>(host: string, method: M, req: AgentRequest<M>, opts: CallOptions): Promise<AgentResponse<M>> {
    this.calls.push({ host, method, req: req as Msg, opts });
    if (this.down.has(host)) throw new AgentError(host, method, grpc.status.UNAVAILABLE, 'connect ECONNREFUSED');
    if (this.paused.has(host)) throw new AgentError(host, method, grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    const fail = this.failures.get(method)?.shift();
    if (fail) throw new AgentError(host, method, fail.code, fail.details);
    const handler = this.handlers.get(method);
    if (!handler) throw new AgentError(host, method, grpc.status.UNIMPLEMENTED, `no fake for ${method}`);
    // Through the real encoding, as a real agent's answer: unset fields get their defaults.
    const definition = agentDefinitions().agent[method];
    const res = definition.responseDeserialize(definition.responseSerialize((await handler(req as Msg)))) as AgentResponse<M>;
    this.onContact(host);
    return res;
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

export interface Harness {
  dir: string;
  /** The SQLite file or the PostgreSQL URL. */
  file: string;
  engine: SqlEngine;
  /** Raw SQL for tests that set up a row directly. */
  sql: {
    run(sql: string, ...params: SqlValue[]): Promise<number>;
    all<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): Promise<T[]>;
    get<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): Promise<T | undefined>;
  };
  store: Store;
  clock: ManualClock;
  agents: FakeAgents;
  liveness: HostLiveness;
  deps: Deps;
  svc: ControllerService;
  periodic: PeriodicTasks;
  close(): Promise<void>;
}

/** The engine the controller suites run on: a SQLite file in `dir`, or a fresh PostgreSQL database (VIRT_TEST_DB=postgres). */
export async function testDatabase(dir: string, file?: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (file === undefined && testEngine() === 'postgres') return freshDatabase();
  return { url: file ?? path.join(dir, 'controller.db'), drop: async () => undefined };
}

/** The replica settings of the unit harness. */
export const TEST_REPLICA = { id: 'replica-test', taskLeaseMs: 900_000, batchLeaseMs: 300_000, shared: false };

export const CTX: RequestContext = { requestId: 'req-test', user: 'tester' };

/** service_down_seconds of the unit harness. */
export const SERVICE_DOWN_SECONDS = 60;

/**
 * A manual clock whose advance() also plays the controller's health watch:
 * every host whose agent is neither down nor paused is contacted at the new
 * time, so only those hosts can become down by advancing it.
 */
class WatchedClock extends ManualClock {
  watch: () => void = () => undefined;
  override advance(ms: number): void {
    super.advance(ms);
    this.watch();
  }
}

export async function harness(
  opts: { config?: Partial<ServiceConfig>; quota?: Partial<QuotaConfig>; file?: string; replica?: Partial<Deps['replica']> } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-unit-'));
  const database = await testDatabase(dir, opts.file);
  const file = database.url;
  const engine = await openEngine(file);
  const clock = new WatchedClock();
  const store = new Store(engine, clock);
  const agents = new FakeAgents();
  const liveness = new HostLiveness({ clock, serviceDownSeconds: SERVICE_DOWN_SECONDS, hosts: agents.hostNames() });
  agents.onContact = (host) => liveness.recordContact(host);
  clock.watch = () => {
    for (const host of agents.hostNames()) if (!agents.down.has(host) && !agents.paused.has(host)) liveness.recordContact(host);
  };
  const deps: Deps = {
    store,
    replica: { ...TEST_REPLICA, ...opts.replica },
    quota: new Quota(store, { defaults: { instances: 3, vcpus: 6, memoryMib: 3072 }, projects: {}, ...opts.quota }),
    agents,
    liveness,
    logger: silentLogger(),
    hooks: NO_HOOKS,
    config: {
      reclaimIntervalSeconds: 3600, cleanShutdownTimeoutSeconds: 30, powerOnTimeoutSeconds: 30, agentTimeoutSeconds: 60,
      retryBaseMs: 60_000, retryCapMs: 3600_000, ...opts.config,
    },
  };
  const svc = new ControllerService(deps);
  return {
    dir, file, engine, store, clock, agents, liveness, deps, svc,
    sql: {
      run: (sql, ...params) => engine.run(sql, params),
      all: (sql, ...params) => engine.all(sql, params),
      get: (sql, ...params) => engine.get(sql, params),
    },
    periodic: new PeriodicTasks(deps, { pollSeconds: 0 }),
    async close() {
      await engine.close();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const XML = (name: string) => `<domain type="test"><name>${name}</name><os><type>hvm</type></os></domain>`;

/** Makes the host down: its agent does not answer and no contact for longer than service_down_seconds. */
export function takeDown(h: Harness, host = 'h1'): void {
  h.agents.down.add(host);
  h.clock.advance((SERVICE_DOWN_SECONDS + 1) * 1000);
}

/** The host answers again (a health check records the contact). */
export async function bringBack(h: Harness, host = 'h1'): Promise<void> {
  h.agents.down.delete(host);
  h.agents.paused.delete(host);
  await h.agents.healthy(host);
}

export async function createActive(h: Harness, name = 'vm', extra: Record<string, unknown> = {}): Promise<string> {
  const v = await h.svc.createInstance({ name, project_id: 'p', host: 'h1', domain_xml: XML(name), vcpus: 2, memory_mib: 1024, ...extra }, CTX);
  return v.instance.uuid;
}

/** The AppError a promise (or a function) rejects with. */
export async function rejection(p: Promise<unknown> | (() => unknown)): Promise<{ kind: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as { kind: string; message: string };
  }
  throw new Error('expected a rejection');
}
