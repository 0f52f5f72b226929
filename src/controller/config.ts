// Controller configuration: defaults, then a JSON config file, then
// VIRT_CONTROLLER_* environment variables, then flags. Hosts (agents) are the
// union of the file's "agents", --hosts-file and --agent NAME=ADDRESS (later
// sources override a name).
import fs from 'node:fs';

import { envVarName, parseBool, parseList } from '../config-values';
import { DEFAULT_QUOTA, type QuotaConfig } from './quota';
import type { QuotaLimits } from './types';

export interface ControllerConfig {
  /** HOST:PORT (plaintext on loopback only) or unix:///path. */
  listen: string;
  /** SQLite file, or a postgres:// URL (several replicas may share a PostgreSQL database). */
  db: string;
  /** PostgreSQL: connections in this replica's pool. */
  dbPoolSize: number;
  /** This replica's name in the leases it takes; stable across its restarts (default: the host name and the listen address). */
  replicaId: string;
  /** A task claim's lease: longer than any agent call with its retries; a dead replica's task is recovered after it. */
  taskLeaseSeconds: number;
  /** A periodic batch claim's lease: a dead replica's unstarted batch is taken over after it. */
  batchLeaseSeconds: number;
  /** The heartbeat interval the controller tells registered agents (HeartbeatResponse). */
  reportIntervalSeconds: number;
  /** Rows of each kind of periodic work a replica claims per tick. */
  periodicBatch: number;
  /** Host name → agent address. */
  hosts: Map<string, string>;
  reclaimIntervalSeconds: number;
  reclaimPollSeconds: number;
  quota: QuotaConfig;
  cleanShutdownTimeoutSeconds: number;
  powerOnTimeoutSeconds: number;
  agentTimeoutSeconds: number;
  /** Attempts of an idempotent agent call (1 = no retry). */
  agentRetryAttempts: number;
  agentRetryBackoffMs: number;
  healthTimeoutMs: number;
  logLevel: string;
  drainSeconds: number;
  /** Mutual TLS, as the agent's flags: the controller's server and its client certificate toward agents. */
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
  tlsAllowSubjects: string[];
  /** Allow plaintext gRPC on a loopback TCP --listen (default false). */
  plaintextLoopback: boolean;
  /** A host is down only when nothing succeeded with its agent for this long (Nova's service_down_time). */
  serviceDownSeconds: number;
  /** Health-check every host's agent this often (a SERVING answer is a contact); 0 = off. */
  healthCheckIntervalSeconds: number;
  /** HOST:PORT for the Prometheus endpoint (GET /metrics); empty = off. */
  metricsListen: string;
}

export function defaultControllerConfig(): ControllerConfig {
  return {
    listen: '127.0.0.1:50052',
    db: '/var/lib/virt-controller/controller.db',
    dbPoolSize: 10,
    replicaId: '',
    taskLeaseSeconds: 900,
    batchLeaseSeconds: 300,
    reportIntervalSeconds: 10,
    periodicBatch: 2000,
    hosts: new Map(),
    reclaimIntervalSeconds: 0,
    reclaimPollSeconds: 60,
    quota: { defaults: { ...DEFAULT_QUOTA }, projects: {} },
    cleanShutdownTimeoutSeconds: 60,
    powerOnTimeoutSeconds: 60,
    agentTimeoutSeconds: 120,
    agentRetryAttempts: 3,
    agentRetryBackoffMs: 200,
    healthTimeoutMs: 2000,
    logLevel: 'info',
    drainSeconds: 30,
    tlsCert: '',
    tlsKey: '',
    tlsCa: '',
    tlsAllowSubjects: [],
    plaintextLoopback: false,
    serviceDownSeconds: 60,
    healthCheckIntervalSeconds: 10,
    metricsListen: '',
  };
}

/** Settings that are one value each: --kebab-case flags, VIRT_CONTROLLER_SNAKE_CASE variables, camelCase file keys. */
export const CONTROLLER_KEYS = [
  'listen', 'db', 'hostsFile', 'reclaimIntervalSeconds', 'reclaimPollSeconds', 'quotaInstances', 'quotaVcpus', 'quotaMemoryMib',
  'cleanShutdownTimeoutSeconds', 'powerOnTimeoutSeconds', 'agentTimeoutSeconds', 'agentRetryAttempts', 'logLevel', 'drainSeconds',
  'tlsCert', 'tlsKey', 'tlsCa', 'tlsAllowSubjects', 'plaintextLoopback', 'serviceDownSeconds', 'healthCheckIntervalSeconds', 'metricsListen',
  'dbPoolSize', 'replicaId', 'taskLeaseSeconds', 'batchLeaseSeconds', 'reportIntervalSeconds', 'periodicBatch',
] as const;
export type ControllerKey = (typeof CONTROLLER_KEYS)[number];

export function controllerEnvName(key: string): string {
  return envVarName('VIRT_CONTROLLER', key);
}

export interface ControllerSources {
  flags: Partial<Record<ControllerKey, string>> & { agent?: string[] };
  env: NodeJS.ProcessEnv;
  /** Parsed JSON config file. */
  file?: unknown;
  /** Reads --hosts-file (injectable for tests). */
  readFile?: (path: string) => string;
}

const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const ADDRESS_RE = /^(?:unix:\/\/\/\S+|unix:\/\S+|(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/;

export function checkHost(name: string, address: string, where: string): void {
  if (!HOST_NAME_RE.test(name)) throw new Error(`${where}: host name ${JSON.stringify(name)} must be [A-Za-z0-9._-] starting with a letter or digit`);
  if (!ADDRESS_RE.test(address)) throw new Error(`${where}: agent address ${JSON.stringify(address)} for ${name} must be HOST:PORT or unix:///path`);
}

/** "NAME=ADDRESS" */
export function parseAgentFlag(value: string): [string, string] {
  const i = value.indexOf('=');
  if (i <= 0) throw new Error(`--agent ${JSON.stringify(value)}: expected NAME=ADDRESS`);
  const [name, address] = [value.slice(0, i).trim(), value.slice(i + 1).trim()];
  checkHost(name, address, '--agent');
  return [name, address];
}

/**
 * A hosts file: JSON ({"name": "address"} or [{"name", "address"}]) or
 * lines of NAME=ADDRESS or NAME ADDRESS (# comments and blank lines ignored).
 */
export function parseHostsFile(text: string, where = '--hosts-file'): Map<string, string> {
  const out = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = JSON.parse(trimmed) as unknown;
    const entries: Array<[unknown, unknown]> = Array.isArray(parsed)
      ? parsed.map((e: { name?: unknown; address?: unknown } | null) => [e?.name, e?.address])
      : Object.entries(parsed as Record<string, unknown>);
    for (const [name, address] of entries) {
      if (typeof name !== 'string' || typeof address !== 'string') throw new Error(`${where}: every host needs a string name and address`);
      checkHost(name, address, where);
      out.set(name, address);
    }
    return out;
  }
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^([^=\s]+)\s*(?:=|\s)\s*(\S+)$/.exec(line);
    if (!m) throw new Error(`${where}:${i + 1}: expected NAME=ADDRESS`);
    checkHost(m[1]!, m[2]!, `${where}:${i + 1}`);
    out.set(m[1]!, m[2]!);
  });
  return out;
}

function nonNegative(key: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${key} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

function quotaLimit(key: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < -1) throw new Error(`${key} must be an integer >= 0, or -1 for unlimited, got ${JSON.stringify(v)}`);
  return n;
}

function apply(cfg: ControllerConfig, key: ControllerKey, v: string, readFile: (p: string) => string): void {
  switch (key) {
    case 'listen': case 'db': case 'logLevel': case 'tlsCert': case 'tlsKey': case 'tlsCa': case 'metricsListen': case 'replicaId': cfg[key] = v; break;
    case 'dbPoolSize': cfg.dbPoolSize = Math.max(1, Math.floor(nonNegative(key, v))); break;
    case 'periodicBatch': cfg.periodicBatch = Math.max(1, Math.floor(nonNegative(key, v))); break;
    case 'taskLeaseSeconds': case 'batchLeaseSeconds': {
      const n = nonNegative(key, v);
      if (n === 0) throw new Error(`${key} must be > 0, got ${JSON.stringify(v)}`);
      cfg[key] = n;
      break;
    }
    case 'serviceDownSeconds': {
      const n = nonNegative(key, v);
      if (n === 0) throw new Error(`${key} must be > 0, got ${JSON.stringify(v)}`);
      cfg.serviceDownSeconds = n;
      break;
    }
    case 'tlsAllowSubjects': cfg.tlsAllowSubjects = parseList(v); break;
    case 'plaintextLoopback': cfg.plaintextLoopback = parseBool(key, v); break;
    case 'hostsFile': for (const [n, a] of parseHostsFile(readFile(v), v)) cfg.hosts.set(n, a); break;
    case 'quotaInstances': cfg.quota.defaults.instances = quotaLimit(key, v); break;
    case 'quotaVcpus': cfg.quota.defaults.vcpus = quotaLimit(key, v); break;
    case 'quotaMemoryMib': cfg.quota.defaults.memoryMib = quotaLimit(key, v); break;
    case 'agentRetryAttempts': cfg.agentRetryAttempts = Math.max(1, Math.floor(nonNegative(key, v))); break;
    default: cfg[key] = nonNegative(key, v);
  }
}

function projectQuotas(value: unknown): Record<string, Partial<QuotaLimits>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('config file: projectQuotas must be an object');
  const out: Record<string, Partial<QuotaLimits>> = {};
  for (const [project, limits] of Object.entries(value as Record<string, unknown>)) {
    if (typeof limits !== 'object' || limits === null) throw new Error(`config file: projectQuotas.${project} must be an object`);
    const l: Partial<QuotaLimits> = {};
    for (const [k, n] of Object.entries(limits as Record<string, unknown>)) {
      if (k !== 'instances' && k !== 'vcpus' && k !== 'memoryMib') throw new Error(`config file: projectQuotas.${project}.${k}: unknown (instances, vcpus, memoryMib)`);
      l[k] = quotaLimit(`projectQuotas.${project}.${k}`, String(n));
    }
    out[project] = l;
  }
  return out;
}

function mergeFile(cfg: ControllerConfig, file: unknown, readFile: (p: string) => string): void {
  if (file === undefined || file === null) return;
  if (typeof file !== 'object' || Array.isArray(file)) throw new Error('config file must hold a JSON object');
  for (const [k, v] of Object.entries(file as Record<string, unknown>)) {
    if ((CONTROLLER_KEYS as readonly string[]).includes(k)) apply(cfg, k as ControllerKey, String(v), readFile);
    else if (k === 'agents') for (const [n, a] of parseHostsFile(JSON.stringify(v), 'config file agents')) cfg.hosts.set(n, a);
    else if (k === 'quota') {
      const q = v as Record<string, unknown> | null;
      for (const [qk, key] of [['instances', 'quotaInstances'], ['vcpus', 'quotaVcpus'], ['memoryMib', 'quotaMemoryMib']] as const) {
        const value = q?.[qk];
        if (value !== undefined) {
          const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
          apply(cfg, key, text, readFile);
        }
      }
    } else if (k === 'projectQuotas') cfg.quota.projects = projectQuotas(v);
    else throw new Error(`config file: unknown setting ${JSON.stringify(k)}`);
  }
}

/** Defaults, then the file, then the environment, then flags. */
export function resolveControllerConfig(sources: ControllerSources): ControllerConfig {
  const readFile = sources.readFile ?? ((p: string) => fs.readFileSync(p, 'utf8'));
  const cfg = defaultControllerConfig();
  mergeFile(cfg, sources.file, readFile);
  for (const key of CONTROLLER_KEYS) {
    const v = sources.env[controllerEnvName(key)];
    if (v !== undefined && v !== '') apply(cfg, key, v, readFile);
  }
  const envAgents = sources.env['VIRT_CONTROLLER_AGENTS'];
  if (envAgents) for (const a of envAgents.split(',').filter((s) => s.trim() !== '')) cfg.hosts.set(...parseAgentFlag(a));
  for (const key of CONTROLLER_KEYS) {
    const v = sources.flags[key];
    if (v !== undefined) apply(cfg, key, v, readFile);
  }
  for (const a of sources.flags.agent ?? []) cfg.hosts.set(...parseAgentFlag(a));
  if (cfg.healthCheckIntervalSeconds >= cfg.serviceDownSeconds) {
    throw new Error(`healthCheckIntervalSeconds (${cfg.healthCheckIntervalSeconds}) must be shorter than serviceDownSeconds (${cfg.serviceDownSeconds}), `
      + 'or a healthy host would count as down between two checks');
  }
  return cfg;
}
