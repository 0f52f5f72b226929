// Shared by the controller integration tests: real in-process agents on
// private test-driver node files (empty, or holding given domains), an
// in-process controller on a temp SQLite file, and a promisified client for
// virtcontroller.v1.Controller. Every call has a deadline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { startAgent, type AgentHandle } from '../../src/agent/agent';
import { defaultConfig, type AgentConfig } from '../../src/agent/config';
import { defaultControllerConfig, type ControllerConfig } from '../../src/controller/config';
import { startController, type ControllerHandle, type ControllerOverrides } from '../../src/controller/controller';
import { LOADER_OPTIONS } from '../../src/grpc/protos';
import { silentLogger } from '../../src/logging';
import { errorOf, PROTO_DIR, type RpcError } from '../helpers/agent-client';
import { freshDatabase, testEngine } from '../helpers/pg';

export { errorOf, type RpcError };


export type Msg = Record<string, any>;


export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A test-driver domain, running (runstate 1) unless told otherwise. */
export function nodeDomainXml(name: string, uuid: string, runstate = 1): string {
  return `<domain type="test"><name>${name}</name><uuid>${uuid}</uuid><memory unit="MiB">256</memory><vcpu>1</vcpu>`
    + `<os><type>hvm</type></os><test:runstate>${runstate}</test:runstate></domain>`;
}

export function nodeXml(domains: string[] = []): string {
  return `<?xml version="1.0"?>\n<node xmlns:test="http://libvirt.org/schemas/domain/test/1.0">`
    + '<cpu><mhz>2400</mhz><model>i686</model><active>4</active><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>'
    + `<memory>16777216</memory>${domains.join('')}</node>\n`;
}

/** What CreateInstance gets: a domain without uuid, vcpu or memory (the controller inserts them). */
export function createXml(name: string): string {
  return `<domain type="test"><name>${name}</name><os><type>hvm</type></os></domain>`;
}

export interface TestAgent {
  dir: string;
  nodeFile: string;
  port: number;
  address: string;
  agent: AgentHandle;
  stop(): Promise<void>;
}

/**
 * An agent on its own node file (written from `domains`, or reused when
 * `nodeFile` is given), listening on 127.0.0.1:`port` (0 = any).
 */
export async function startTestAgent(
  opts: { domains?: string[]; nodeFile?: string; port?: number; dir?: string; tweak?: (c: AgentConfig) => void } = {},
): Promise<TestAgent> {
  const dir = opts.dir ?? tempDir('vc-agent-');
  const nodeFile = opts.nodeFile ?? path.join(dir, 'node.xml');
  if (!opts.nodeFile) fs.writeFileSync(nodeFile, nodeXml(opts.domains));
  const config = defaultConfig();
  config.listen = `127.0.0.1:${opts.port ?? 0}`;
  config.plaintextLoopback = true;
  config.libvirtUri = `test://${nodeFile}`;
  config.stateDir = path.join(dir, 'state');
  config.instancesPath = path.join(dir, 'instances');
  config.nfsMountBase = path.join(dir, 'mnt');
  config.powerOff.stateCheckIntervalMs = 100;
  config.destroy.backoffMs = 20;
  config.detach.timeoutSeconds = 1;
  config.detach.attempts = 1;
  config.drainSeconds = 2;
  opts.tweak?.(config);
  const agent = await startAgent(config, silentLogger(), { requireLibvirt: true });
  const port = agent.listen.port!;
  let stopped: Promise<void> | undefined;
  return {
    dir, nodeFile, port, address: `127.0.0.1:${port}`, agent,
    stop() {
      stopped ??= agent.stop(1000);
      return stopped;
    },
  };
}

export interface TestController {
  dir: string;
  config: ControllerConfig;
  handle: ControllerHandle;
  client: ControllerClient;
  /**
   * Moves the controller's ManualClock on, then runs one round of the health
   * watch (a timer in production, manual in tests), so hosts whose agent
   * answers stay up and the others may become down.
   */
  advance(ms: number): Promise<void>;
  /** Runs the health watch until every listed host is up (an agent just resumed may answer late); rejects after ms. */
  waitUp(hosts: string[], ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestController(
  hosts: Record<string, string>,
  tweak: (c: ControllerConfig) => void = () => undefined,
  overrides: ControllerOverrides = {},
): Promise<TestController> {
  const dir = tempDir('vc-ctl-');
  const config = defaultControllerConfig();
  config.listen = '127.0.0.1:0';
  config.plaintextLoopback = true;
  // VIRT_TEST_DB=postgres: a fresh database on the run's cluster (kept until the cluster goes, so a restarted controller finds it).
  config.db = testEngine() === 'postgres' ? (await freshDatabase()).url : path.join(dir, 'controller.db');
  config.hosts = new Map(Object.entries(hosts));
  config.cleanShutdownTimeoutSeconds = 5;
  config.powerOnTimeoutSeconds = 10;
  config.agentTimeoutSeconds = 20;
  config.agentRetryAttempts = 2;
  config.agentRetryBackoffMs = 20;
  config.healthTimeoutMs = 1000;
  tweak(config);
  const handle = await startController(config, silentLogger(), { manualPeriodic: true, maxReconnectBackoffMs: 200, ...overrides });
  const client = new ControllerClient(`127.0.0.1:${handle.listen.port}`);
  let stopped: Promise<void> | undefined;
  return {
    dir, config, handle, client,
    async advance(ms: number) {
      const clock = overrides.clock as { advance?: (ms: number) => void } | undefined;
      if (!clock?.advance) throw new Error('advance() needs a ManualClock in the overrides');
      clock.advance(ms);
      await handle.health.checkOnce();
    },
    async waitUp(hosts: string[], ms = 15_000) {
      await until(async () => {
        await handle.health.checkOnce();
        return hosts.every((h) => handle.liveness.state(h) === 'up');
      }, ms, `hosts ${hosts.join(', ')} up`);
    },
    stop() {
      stopped ??= (async () => {
        client.close();
        await handle.stop(1000);
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

let pkg: any;
export function controllerPackage(): any {
  pkg ??= grpc.loadPackageDefinition(protoLoader.loadSync(
    ['virtcontroller/v1/controller.proto', 'virtagent/v1/agent.proto', 'grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto'],
    { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] },
  ));
  return pkg;
}

function unaryOn<T>(client: Msg, method: string, req: Msg, md: grpc.Metadata, deadlineMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](req, md, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

export class ControllerClient {
  readonly stub: grpc.Client & Msg;
  readonly health: grpc.Client & Msg;

  constructor(readonly target: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    const p = controllerPackage();
    this.stub = new p.virtcontroller.v1.Controller(target, creds);
    this.health = new p.grpc.health.v1.Health(target, creds, { channelOverride: this.stub.getChannel() });
  }

  call<T = Msg>(method: string, req: Msg = {}, meta: Record<string, string> = {}, deadlineMs = 30_000): Promise<T> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(meta)) md.set(k, v);
    return unaryOn<T>(this.stub, method, req, md, deadlineMs);
  }

  fail(method: string, req: Msg = {}, meta: Record<string, string> = {}): Promise<RpcError> {
    return errorOf(this.call(method, req, meta));
  }

  healthCheck(service = ''): Promise<Msg> {
    return unaryOn<Msg>(this.health, 'Check', { service }, new grpc.Metadata(), 5000);
  }

  close(): void {
    this.stub.close();
    this.health.close();
  }
}

/** A promisified HostAgent client, to look at the host from the test's side. */
export class AgentProbe {
  private readonly stub: grpc.Client & Msg;

  constructor(address: string) {
    this.stub = new (controllerPackage().virtagent.v1.HostAgent)(address, grpc.credentials.createInsecure());
  }

  call<T = Msg>(method: string, req: Msg = {}): Promise<T> {
    return unaryOn<T>(this.stub, method, req, new grpc.Metadata(), 15_000);
  }

  /** The domain's power state, or 'GONE' when the agent says NOT_FOUND. */
  async powerState(uuid: string): Promise<string> {
    try {
      return (await this.call('GetDomain', { domain: { uuid } })).power_state as string;
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.NOT_FOUND) return 'GONE';
      throw err;
    }
  }

  close(): void {
    this.stub.close();
  }
}

/** Resolves once cond() holds, polling every 20 ms; rejects after ms. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, label = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
