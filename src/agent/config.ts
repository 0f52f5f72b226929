// Agent configuration: defaults, then a JSON config file, then VIRT_AGENT_*
// environment variables, then command-line flags (src/cli/virt-agent.ts).
import { envVarName, parseBool, parseList } from '../config-values';
import type { ShutdownMethodName } from './flows/types';

export interface AgentConfig {
  /** unix:///path or HOST:PORT */
  listen: string;
  libvirtUri: string;
  /** Agent state: stored definitions of transient domains, journal. */
  stateDir: string;
  logLevel: string;
  /** Destroy with destroy_disks only removes files below this directory. */
  instancesPath: string;
  /** NFS shares are mounted below this directory. */
  nfsMountBase: string;
  /** When set, `local` volumes' device_path must lie below one of these (canonical paths). */
  localVolumeDirs: string[];
  /** Allow plaintext TCP on loopback addresses (never on others). Default true. */
  plaintextLoopback: boolean;
  /** PEM files for mutual TLS on a TCP listen address; all three or none. */
  tlsCert: string;
  tlsKey: string;
  /** CA bundle client certificates must chain to (client certificates are required). */
  tlsCa: string;
  /** Client certificate subjects allowed to call: bare CNs or /K=V/K=V subjects; empty = any the CA signed. */
  tlsAllowSubjects: string[];
  /** HOST:PORT for the Prometheus endpoint (GET /metrics); empty = off. */
  metricsListen: string;
  powerOff: {
    timeoutSeconds: number;
    retryIntervalSeconds: number;
    methods: ShutdownMethodName[];
    /** Backstop state check while waiting for the STOPPED event. */
    stateCheckIntervalMs: number;
  };
  destroy: {
    /** Destroy calls before giving up (first two graceful, then SIGKILL). */
    attempts: number;
    backoffMs: number;
  };
  powerOn: { waitTimeoutSeconds: number };
  detach: {
    /** Wait for DEVICE_REMOVED this long after each detach request. */
    timeoutSeconds: number;
    /** Detach requests sent before giving up. */
    attempts: number;
  };
  /** Finished results kept for request-id replay. */
  requestCacheSize: number;
  /** SIGTERM: wait this long for in-flight operations. */
  drainSeconds: number;
}

export const DEFAULT_SOCKET = 'unix:///run/virt-agent/agent.sock';

export function defaultConfig(): AgentConfig {
  return {
    listen: process.getuid?.() === 0 ? DEFAULT_SOCKET : '127.0.0.1:50051',
    libvirtUri: 'qemu:///system',
    stateDir: '/var/lib/virt-agent',
    logLevel: 'info',
    instancesPath: '/var/lib/virt-agent/instances',
    nfsMountBase: '/var/lib/virt-agent/mnt',
    localVolumeDirs: [],
    // Plaintext TCP only when asked for explicitly (and then only on loopback).
    plaintextLoopback: false,
    tlsCert: '',
    tlsKey: '',
    tlsCa: '',
    tlsAllowSubjects: [],
    metricsListen: '',
    powerOff: {
      timeoutSeconds: 60,
      retryIntervalSeconds: 10,
      methods: ['guest_agent', 'acpi'],
      stateCheckIntervalMs: 1000,
    },
    destroy: { attempts: 4, backoffMs: 500 },
    powerOn: { waitTimeoutSeconds: 60 },
    detach: { timeoutSeconds: 20, attempts: 3 },
    requestCacheSize: 10_000,
    drainSeconds: 30,
  };
}

/** Settings that can come from flags, VIRT_AGENT_* variables and the config file. */
export interface ConfigSources {
  /** Parsed command-line flags (only the ones given). */
  flags: Partial<Record<FlatKey, string>>;
  env: NodeJS.ProcessEnv;
  /** Contents of the JSON config file, if any. */
  file?: unknown;
}

/** The flat settings; each is --kebab-case on the command line and VIRT_AGENT_SNAKE_CASE in the environment. */
export const FLAT_KEYS = [
  'listen', 'libvirtUri', 'stateDir', 'logLevel', 'instancesPath', 'nfsMountBase',
  'powerOffTimeoutSeconds', 'powerOffRetrySeconds', 'shutdownMethods', 'drainSeconds',
  'tlsCert', 'tlsKey', 'tlsCa', 'tlsAllowSubjects', 'plaintextLoopback', 'metricsListen', 'localVolumeDirs',
] as const;
export type FlatKey = (typeof FLAT_KEYS)[number];

export function envName(key: FlatKey): string {
  return envVarName('VIRT_AGENT', key);
}

function num(key: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

function apply(cfg: AgentConfig, key: FlatKey, v: string): void {
  switch (key) {
    case 'plaintextLoopback': cfg.plaintextLoopback = parseBool(key, v); break;
    case 'tlsAllowSubjects': cfg.tlsAllowSubjects = parseList(v); break;
    case 'localVolumeDirs': cfg.localVolumeDirs = parseList(v); break;
    case 'powerOffTimeoutSeconds': cfg.powerOff.timeoutSeconds = num(key, v); break;
    case 'powerOffRetrySeconds': cfg.powerOff.retryIntervalSeconds = Math.max(1, num(key, v)); break;
    case 'drainSeconds': cfg.drainSeconds = num(key, v); break;
    case 'shutdownMethods': {
      const methods = v.split(',').map((m) => m.trim()).filter(Boolean);
      for (const m of methods) {
        if (m !== 'acpi' && m !== 'guest_agent') throw new Error(`shutdownMethods: unknown method ${JSON.stringify(m)} (acpi, guest_agent)`);
      }
      cfg.powerOff.methods = methods as ShutdownMethodName[];
      break;
    }
    default: cfg[key] = v;
  }
}

function mergeFile(cfg: AgentConfig, file: unknown): void {
  if (file === undefined || file === null) return;
  if (typeof file !== 'object' || Array.isArray(file)) throw new Error('config file must hold a JSON object');
  for (const [k, v] of Object.entries(file as Record<string, unknown>)) {
    if ((FLAT_KEYS as readonly string[]).includes(k)) {
      apply(cfg, k as FlatKey, Array.isArray(v) ? v.join(',') : String(v));
    } else if (k in cfg && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      Object.assign((cfg as unknown as Record<string, object>)[k]!, v);
    } else if (k in cfg && typeof v === typeof (cfg as unknown as Record<string, unknown>)[k]) {
      (cfg as unknown as Record<string, unknown>)[k] = v;
    } else {
      throw new Error(`config file: unknown or mistyped setting ${JSON.stringify(k)}`);
    }
  }
}

/** Defaults, then the file, then the environment, then flags. */
export function resolveConfig(sources: ConfigSources): AgentConfig {
  const cfg = defaultConfig();
  mergeFile(cfg, sources.file);
  for (const key of FLAT_KEYS) {
    const v = sources.env[envName(key)];
    if (v !== undefined && v !== '') apply(cfg, key, v);
  }
  for (const key of FLAT_KEYS) {
    const v = sources.flags[key];
    if (v !== undefined) apply(cfg, key, v);
  }
  return cfg;
}
