// In-process agents on a private libvirt test-driver node, and a promisified
// gRPC client for virtagent.v1.HostAgent (plus health and reflection) built
// from proto/ with the same loader options as the server. Every call has a
// deadline; errors come back as { code, details } for assertions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import pino from 'pino';

import { startAgent, type AgentHandle, type AgentOverrides } from '../../src/agent/agent';
import { defaultConfig, type AgentConfig } from '../../src/agent/config';
import { LOADER_OPTIONS } from '../../src/grpc/protos';
import { silentLogger, type Logger } from '../../src/logging';


export type Msg = Record<string, any>;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const PROTO_DIR = path.join(REPO_ROOT, 'proto');
/** The node the integration tests start from (web-1's vdb: an iSCSI disk that cannot exist here). */
export const EXAMPLE_NODE = path.join(REPO_ROOT, 'test', 'fixtures', 'test-node.xml');
const ORIGINAL_INSTANCES = '/var/lib/virt-agent/instances';

/** What test/fixtures/test-node.xml holds. */
export const NODE_DOMAINS = {
  'web-1': { uuid: '11111111-1111-4111-8111-111111111111', power_state: 'POWER_STATE_RUNNING', persistent: true, has_managed_save: false, disks: ['vda', 'vdb'] },
  'db-1': { uuid: '22222222-2222-4222-8222-222222222222', power_state: 'POWER_STATE_SHUTOFF', persistent: true, has_managed_save: false, disks: ['vda'] },
  'saved-1': { uuid: '33333333-3333-4333-8333-333333333333', power_state: 'POWER_STATE_SHUTOFF', persistent: true, has_managed_save: true, disks: [] },
  'paused-1': { uuid: '44444444-4444-4444-8444-444444444444', power_state: 'POWER_STATE_PAUSED', persistent: true, has_managed_save: false, disks: [] },
  'transient-1': { uuid: '55555555-5555-4555-8555-555555555555', power_state: 'POWER_STATE_RUNNING', persistent: false, has_managed_save: false, disks: [] },
} as const;
export type NodeDomain = keyof typeof NODE_DOMAINS;

/** A minimal test-driver domain definition. */
export function domainXml(name: string, uuid: string): string {
  return `<domain type="test"><name>${name}</name><uuid>${uuid}</uuid>`
    + '<memory>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>';
}

/** A deterministic v4-shaped UUID for generated domain number n. */
export function uuidFor(n: number): string {
  return `bbbbbbbb-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export interface TestNode {
  dir: string;
  nodeFile: string;
  uri: string;
  instancesPath: string;
  stateDir: string;
  /** Disk files created for the node's file disks, by domain name. */
  diskFiles: Record<string, string[]>;
}

/**
 * Copies the example node into a fresh temp dir with its instance disk paths
 * moved below <dir>/instances, and creates those disk files.
 */
export function makeTestNode(prefix = 'virt-agent-it-'): TestNode {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const instancesPath = path.join(dir, 'instances');
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(instancesPath, { recursive: true });
  const xml = fs.readFileSync(EXAMPLE_NODE, 'utf8').split(`${ORIGINAL_INSTANCES}/`).join(`${instancesPath}/`);
  const nodeFile = path.join(dir, 'node.xml');
  fs.writeFileSync(nodeFile, xml);
  const diskFiles: Record<string, string[]> = {};
  for (const m of xml.matchAll(/<name>([^<]+)<\/name>|<source file="([^"]+)"/g)) {
    if (m[1] !== undefined) diskFiles[m[1]] = [];
    else {
      const file = m[2]!;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '');
      const owner = Object.keys(diskFiles).at(-1)!;
      diskFiles[owner]!.push(file);
    }
  }
  return { dir, nodeFile, uri: `test://${nodeFile}`, instancesPath, stateDir, diskFiles };
}

/** JSON log lines captured from an in-process agent. */
export class LogCapture {
  readonly lines: Msg[] = [];
  readonly logger: Logger;

  constructor(level: pino.Level = 'debug') {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line) as Msg);
        cb();
      },
    });
    this.logger = pino({ level, base: { service: 'virt-agent' } }, sink);
  }
}

export interface TestAgentOptions {
  /** Listen on a unix socket in the node's dir instead of 127.0.0.1:0. */
  unix?: boolean;
  /** Use this libvirt URI instead of the node's. */
  libvirtUri?: string;
  config?: (cfg: AgentConfig) => void;
  overrides?: AgentOverrides;
  logger?: Logger;
}

export interface TestAgent {
  node: TestNode;
  config: AgentConfig;
  agent: AgentHandle;
  /** grpc-js target (127.0.0.1:PORT or unix:/path). */
  target: string;
  client: AgentClient;
  /** Closes the client, stops the agent, removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

export async function startTestAgent(opts: TestAgentOptions = {}): Promise<TestAgent> {
  const node = makeTestNode();
  const config = defaultConfig();
  config.listen = opts.unix ? `unix://${path.join(node.dir, 'run', 'agent.sock')}` : '127.0.0.1:0';
  config.plaintextLoopback = true;
  config.libvirtUri = opts.libvirtUri ?? node.uri;
  config.stateDir = node.stateDir;
  config.instancesPath = node.instancesPath;
  config.nfsMountBase = path.join(node.dir, 'mnt');
  config.powerOff.stateCheckIntervalMs = 200;
  config.destroy.backoffMs = 50;
  config.detach.timeoutSeconds = 1;
  config.detach.attempts = 2;
  config.drainSeconds = 5;
  opts.config?.(config);
  const agent = await startAgent(config, opts.logger ?? silentLogger(), opts.overrides);
  const target = agent.listen.socketPath ? `unix:${agent.listen.socketPath}` : `127.0.0.1:${agent.listen.port}`;
  const client = new AgentClient(target);
  let closed: Promise<void> | undefined;
  return {
    node, config, agent, target, client,
    close() {
      closed ??= (async () => {
        client.close();
        await agent.stop(2000);
        fs.rmSync(node.dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

// ---------------------------------------------------------------------------
// Client

let cachedPackage: any;

/** grpc package object for agent, health and both reflection protos. */
export function grpcPackage(): any {
  cachedPackage ??= grpc.loadPackageDefinition(protoLoader.loadSync(
    ['virtagent/v1/agent.proto', 'grpc/health/v1/health.proto', 'grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'],
    { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] },
  ));
  return cachedPackage;
}

export interface RpcError {
  code: grpc.status;
  details: string;
}

export const DEFAULT_DEADLINE_MS = 15_000;

/** Promisified HostAgent, Health and reflection calls against one target. */
export class AgentClient {
  readonly agent: grpc.Client & Msg;
  readonly health: grpc.Client & Msg;
  private readonly target: string;

  constructor(target: string) {
    const pkg = grpcPackage();
    this.target = target;
    const creds = grpc.credentials.createInsecure();
    this.agent = new pkg.virtagent.v1.HostAgent(target, creds);
    this.health = new pkg.grpc.health.v1.Health(target, creds);
  }

  /** A unary HostAgent call; rejects with the grpc ServiceError. */
  call<T = Msg>(method: string, req: Msg = {}, deadlineMs = DEFAULT_DEADLINE_MS): Promise<T> {
    return unaryOn<T>(this.agent, method, req, deadlineMs);
  }

  /** A call expected to fail: its { code, details } (throws when it succeeds). */
  async fail(method: string, req: Msg = {}, deadlineMs = DEFAULT_DEADLINE_MS): Promise<RpcError> {
    return errorOf(this.call(method, req, deadlineMs), method);
  }

  /** grpc.health.v1.Health/Check → status string, or the error. */
  async healthCheck(service = '', deadlineMs = 5000): Promise<string> {
    const r = await unaryOn<Msg>(this.health, 'Check', { service }, deadlineMs);
    return r.status as string;
  }

  /** Opens WatchEvents with a deadline far enough out for a test. */
  watch(req: Msg = {}, deadlineMs = 60_000): EventStream {
    const call = (this.agent as Msg).WatchEvents(req, { deadline: Date.now() + deadlineMs }) as grpc.ClientReadableStream<Msg>;
    return new EventStream(call);
  }

  reflection(version: 'v1' | 'v1alpha' = 'v1'): ReflectionClient {
    return new ReflectionClient(this.target, version);
  }

  close(): void {
    this.agent.close();
    this.health.close();
  }
}

function unaryOn<T>(client: Msg, method: string, req: Msg, deadlineMs: number): Promise<T> {
  if (typeof client[method] !== 'function') return Promise.reject(new Error(`no method ${method}`));
  return new Promise((resolve, reject) => {
    client[method](req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** The { code, details } of a rejected gRPC call. */
export async function errorOf(p: Promise<unknown>, label = 'call'): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    const e = err as Partial<grpc.ServiceError>;
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, details: e.details ?? '' };
  }
  throw new Error(`${label}: expected an error, the call succeeded`);
}

/** Name of a grpc status code, for readable assertion failures. */
export function codeName(code: grpc.status): string {
  return grpc.status[code] ?? String(code);
}

/** A WatchEvents stream with a queue of received events and its final status. */
export class EventStream {
  readonly events: Msg[] = [];
  readonly ended: Promise<grpc.StatusObject>;
  private waiters: Array<{ pred: (e: Msg) => boolean; resolve: (e: Msg) => void }> = [];

  constructor(readonly call: grpc.ClientReadableStream<Msg>) {
    call.on('data', (e: Msg) => {
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
    call.on('error', () => undefined);
    this.ended = new Promise((resolve) => call.on('status', resolve));
  }

  /** The first event (seen or coming) matching pred; rejects after ms. */
  next(pred: (e: Msg) => boolean, ms = 5000, label = 'an event'): Promise<Msg> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no ${label} within ${ms} ms; got ${JSON.stringify(this.events.map((e) => [e.domain_name, e.lifecycle?.event ?? e.kind]))}`));
      }, ms);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }

  cancel(): void {
    this.call.cancel();
  }
}

/** One request, one response, in order, on a reflection stream. */
export class ReflectionClient {
  private readonly client: grpc.Client & Msg;
  private readonly stream: grpc.ClientDuplexStream<Msg, Msg>;
  private readonly waiting: Array<{ resolve: (r: Msg) => void; reject: (e: Error) => void }> = [];

  constructor(target: string, version: 'v1' | 'v1alpha') {
    const pkg = grpcPackage();
    this.client = new pkg.grpc.reflection[version].ServerReflection(target, grpc.credentials.createInsecure());
    this.stream = this.client.ServerReflectionInfo({ deadline: Date.now() + 30_000 });
    this.stream.on('data', (r: Msg) => this.waiting.shift()?.resolve(r));
    this.stream.on('error', (e: Error) => this.waiting.splice(0).forEach((w) => w.reject(e)));
  }

  request(req: Msg): Promise<Msg> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.stream.write(req);
    });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}

/** Resolves once cond() holds, polling every 10 ms; rejects after ms. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, label = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
