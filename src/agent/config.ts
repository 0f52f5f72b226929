// Agent configuration: defaults, then a JSON config file, then VIRT_AGENT_*
// environment variables, then command-line flags (src/cli/virt-agent.ts).
import { envVarName, parseBool, parseList } from '../config-values';
import { DEFAULT_STORAGE_IO, type StorageIoLimits } from './storage-io';

/** How a clean shutdown is asked for: ACPI power button, or the QEMU guest agent. */
export type ShutdownMethodName = 'acpi' | 'guest_agent';

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
  /** Mountpoint name of an export: md5 of the export string (Nova's layout) or sha256. */
  nfsMountpointHash: NfsMountpointHash;
  /** Extra `mount -o` options for NFS (comma separated), before a volume's own `options`. */
  nfsMountOptions: string;
  /** When set, `local` volumes' device_path must lie below one of these (canonical paths). */
  localVolumeDirs: string[];
  /** Allow plaintext TCP on loopback addresses (never on others). Default false: only when asked for. */
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
  /** Controllers (replicas) the agent registers with and heartbeats (registration.ts); empty = static --agent setups only. */
  controllers: string[];
  /** The host's name at the controllers (default: the machine's host name). */
  hostName: string;
  /** Where the controllers reach this agent (default: --listen, its port as bound; a wildcard host becomes the host name). */
  advertiseAddress: string;
  /** Heartbeat interval (seconds). */
  reportIntervalSeconds: number;
  powerOff: {
    timeoutSeconds: number;
    retryIntervalSeconds: number;
    methods: ShutdownMethodName[];
    /** Backstop state check while waiting for the STOPPED event. */
    stateCheckIntervalMs: number;
  };
  destroy: {
    /** Destroy calls before giving up. */
    attempts: number;
    /** How many of them are graceful (SIGTERM, QEMU may flush) before SIGKILL; the last attempt is always SIGKILL. */
    gracefulAttempts: number;
    /** Pause after a failed attempt, doubling each time. */
    backoffMs: number;
  };
  powerOn: { waitTimeoutSeconds: number };
  detach: {
    /** Wait for DEVICE_REMOVED this long after each detach request. */
    timeoutSeconds: number;
    /** Detach requests sent before giving up (Nova's device_detach_attempts: 8). */
    attempts: number;
  };
  /** Ceph RBD: images the agent removes, and how `rbd` reaches the cluster. */
  rbd: {
    /** Pools in which Destroy may remove `<uuid>_*` images (Nova's images_rbd_pool); empty = none. */
    pools: string[];
    /** cephx user (`--id`, Nova's rbd_user); empty = ceph's default. */
    user: string;
    /** ceph.conf (`--conf`, Nova's images_rbd_ceph_conf); empty = ceph's default. */
    confPath: string;
    /** Cluster name (`--cluster`); empty = ceph's default. */
    cluster: string;
    /** `rbd rm` of a busy image (watchers): attempts, and the pause between them (Nova: 12 x 5 s). */
    busyRetries: number;
    busyRetryIntervalMs: number;
  };
  /** LVM-backed instance disks (Nova's images_type=lvm). */
  lvm: {
    /** Volume group in which Destroy may remove `<uuid>_*` LVs (images_volume_group); empty = none. */
    volumeGroup: string;
    /** Wipe before lvremove, as Nova's volume_clear: none, zero or shred. */
    volumeClear: VolumeClear;
    /** MiB to wipe from the start of the LV; 0 = all of it (volume_clear_size). */
    volumeClearSizeMiB: number;
    /** Upper bound of one wipe command. */
    wipeTimeoutSeconds: number;
  };
  /** Host side of iSCSI connect / disconnect. */
  iscsi: {
    /** ConnectVolume: wait this long for the SCSI devices (and the multipath map) to appear. */
    deviceWaitSeconds: number;
    /** DisconnectVolume: wait this long for deleted SCSI devices to leave sysfs. */
    removalWaitSeconds: number;
    /** `multipath -f` attempts (os-brick: 3). */
    flushAttempts: number;
    /** Treat a single-portal volume as multipath too (Nova's volume_use_multipath). */
    useMultipath: boolean;
  };
  /** Finished results kept for request-id replay (and in the journal): at most this many... */
  requestCacheSize: number;
  /** ...for at most this long. */
  requestRetentionSeconds: number;
  /** The journal is compacted whenever it grows past this size. */
  journalMaxBytes: number;
  /** SIGTERM: wait this long for in-flight operations. */
  drainSeconds: number;
  /** Threads of the binding's libvirt pool: libvirt calls in flight at once. */
  libvirtThreads: number;
  /** Deadlines and thread limits of file-system calls on instance/volume storage (storage-io.ts). */
  storageIo: StorageIoLimits;
  /** A cheap libvirt call every intervalMs; no answer within timeoutMs = libvirt stalled (health NOT_SERVING). */
  watchdog: { intervalMs: number; timeoutMs: number };
  watchEvents: {
    /** Events buffered per stream while the client does not read; one more ends it with RESOURCE_EXHAUSTED. */
    maxBuffered: number;
    /** WatchEvents streams open at once (further ones: RESOURCE_EXHAUSTED). */
    maxStreams: number;
    /** A stream ended for falling behind is reset if its client has not closed it after this long. */
    graceMs: number;
  };
  /** gRPC port limits (TCP and unix socket). */
  connections: {
    /** Open connections at most; past it the oldest connection still in its TLS handshake is dropped, else the new one. */
    max: number;
    /** A TLS handshake not finished by then closes the connection. */
    handshakeTimeoutMs: number;
    /** A connection without calls for this long is closed (grpc.max_connection_idle_ms; clients reconnect). */
    idleTimeoutMs: number;
  };
}

export type NfsMountpointHash = 'md5' | 'sha256';
export type VolumeClear = 'none' | 'zero' | 'shred';

export const DEFAULT_SOCKET = 'unix:///run/virt-agent/agent.sock';

export function defaultConfig(): AgentConfig {
  return {
    listen: process.getuid?.() === 0 ? DEFAULT_SOCKET : '127.0.0.1:50051',
    libvirtUri: 'qemu:///system',
    stateDir: '/var/lib/virt-agent',
    logLevel: 'info',
    instancesPath: '/var/lib/virt-agent/instances',
    nfsMountBase: '/var/lib/virt-agent/mnt',
    nfsMountpointHash: 'md5',
    nfsMountOptions: '',
    localVolumeDirs: [],
    // Plaintext TCP only when asked for explicitly (and then only on loopback).
    plaintextLoopback: false,
    tlsCert: '',
    tlsKey: '',
    tlsCa: '',
    tlsAllowSubjects: [],
    metricsListen: '',
    controllers: [],
    hostName: '',
    advertiseAddress: '',
    reportIntervalSeconds: 10,
    powerOff: {
      timeoutSeconds: 60,
      retryIntervalSeconds: 10,
      methods: ['guest_agent', 'acpi'],
      stateCheckIntervalMs: 1000,
    },
    destroy: { attempts: 4, gracefulAttempts: 2, backoffMs: 500 },
    powerOn: { waitTimeoutSeconds: 60 },
    detach: { timeoutSeconds: 20, attempts: 8 },
    rbd: { pools: [], user: '', confPath: '', cluster: '', busyRetries: 12, busyRetryIntervalMs: 5000 },
    lvm: { volumeGroup: '', volumeClear: 'zero', volumeClearSizeMiB: 0, wipeTimeoutSeconds: 3600 },
    iscsi: { deviceWaitSeconds: 20, removalWaitSeconds: 10, flushAttempts: 3, useMultipath: false },
    requestCacheSize: 100_000,
    requestRetentionSeconds: 24 * 3600,
    journalMaxBytes: 64 * 1024 * 1024,
    drainSeconds: 30,
    libvirtThreads: 8,
    storageIo: { ...DEFAULT_STORAGE_IO },
    watchdog: { intervalMs: 5000, timeoutMs: 10_000 },
    watchEvents: { maxBuffered: 1000, maxStreams: 1000, graceMs: 10_000 },
    connections: { max: 1000, handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000 },
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
  'nfsMountpointHash', 'nfsMountOptions', 'rbdPools', 'rbdUser', 'rbdConf', 'rbdCluster',
  'lvmVolumeGroup', 'volumeClear', 'volumeClearSize', 'detachAttempts',
  'libvirtThreads', 'journalMaxBytes', 'requestCacheSize', 'requestRetentionSeconds',
  'maxConnections', 'handshakeTimeoutSeconds', 'idleTimeoutSeconds',
  'controllers', 'hostName', 'advertiseAddress', 'reportIntervalSeconds',
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

function oneOf<T extends string>(key: string, v: string, allowed: readonly T[]): T {
  const s = v.trim();
  if (!(allowed as readonly string[]).includes(s)) throw new Error(`${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return s as T;
}

function range(key: string, v: string, min: number, max: number): number {
  const n = num(key, v);
  if (n < min || n > max) throw new Error(`${key} must be ${min}-${max}, got ${n}`);
  return n;
}

function apply(cfg: AgentConfig, key: FlatKey, v: string): void {
  switch (key) {
    case 'plaintextLoopback': cfg.plaintextLoopback = parseBool(key, v); break;
    case 'tlsAllowSubjects': cfg.tlsAllowSubjects = parseList(v); break;
    case 'localVolumeDirs': cfg.localVolumeDirs = parseList(v); break;
    case 'controllers': cfg.controllers = parseList(v); break;
    case 'reportIntervalSeconds': cfg.reportIntervalSeconds = range(key, v, 1, 3600); break;
    case 'powerOffTimeoutSeconds': cfg.powerOff.timeoutSeconds = num(key, v); break;
    case 'powerOffRetrySeconds': cfg.powerOff.retryIntervalSeconds = Math.max(1, num(key, v)); break;
    case 'drainSeconds': cfg.drainSeconds = num(key, v); break;
    case 'nfsMountpointHash': cfg.nfsMountpointHash = oneOf(key, v, ['md5', 'sha256'] as const); break;
    case 'rbdPools': cfg.rbd.pools = parseList(v); break;
    case 'rbdUser': cfg.rbd.user = v; break;
    case 'rbdConf': cfg.rbd.confPath = v; break;
    case 'rbdCluster': cfg.rbd.cluster = v; break;
    case 'lvmVolumeGroup': cfg.lvm.volumeGroup = v; break;
    case 'volumeClear': cfg.lvm.volumeClear = oneOf(key, v, ['none', 'zero', 'shred'] as const); break;
    case 'volumeClearSize': cfg.lvm.volumeClearSizeMiB = num(key, v); break;
    case 'detachAttempts': cfg.detach.attempts = Math.max(1, num(key, v)); break;
    case 'libvirtThreads': cfg.libvirtThreads = range(key, v, 1, 1024); break;
    case 'journalMaxBytes': cfg.journalMaxBytes = range(key, v, 1 << 20, Number.MAX_SAFE_INTEGER); break;
    case 'requestCacheSize': cfg.requestCacheSize = num(key, v); break;
    case 'requestRetentionSeconds': cfg.requestRetentionSeconds = num(key, v); break;
    case 'maxConnections': cfg.connections.max = range(key, v, 1, 1_000_000); break;
    case 'handshakeTimeoutSeconds': cfg.connections.handshakeTimeoutMs = range(key, v, 1, 3600) * 1000; break;
    case 'idleTimeoutSeconds': cfg.connections.idleTimeoutMs = range(key, v, 1, 30 * 86400) * 1000; break;
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
  checkConfig(cfg);
  return cfg;
}

// Ceph and LVM names as the agent passes them to `rbd` / `lvs`: never option-like.
const STORAGE_NAME = /^[A-Za-z0-9_.+][A-Za-z0-9_.+-]{0,127}$/;

/** Values the nested groups of a config file can set wrongly; checked once at start-up. */
export function checkConfig(cfg: AgentConfig): void {
  oneOf('nfsMountpointHash', cfg.nfsMountpointHash, ['md5', 'sha256'] as const);
  oneOf('lvm.volumeClear', cfg.lvm.volumeClear, ['none', 'zero', 'shred'] as const);
  for (const p of cfg.rbd.pools) {
    if (!STORAGE_NAME.test(p)) throw new Error(`rbd.pools: ${JSON.stringify(p)} is not a pool name`);
  }
  for (const [k, v] of [['rbd.user', cfg.rbd.user], ['rbd.cluster', cfg.rbd.cluster], ['lvm.volumeGroup', cfg.lvm.volumeGroup]] as const) {
    if (v !== '' && !STORAGE_NAME.test(v)) throw new Error(`${k}: ${JSON.stringify(v)} is not a valid name`);
  }
  if (cfg.rbd.confPath !== '' && !cfg.rbd.confPath.startsWith('/')) throw new Error('rbd.confPath must be an absolute path');
  if (cfg.nfsMountOptions !== '' && !/^[A-Za-z0-9_.=:,/+-]+$/.test(cfg.nfsMountOptions)) {
    throw new Error(`nfsMountOptions: ${JSON.stringify(cfg.nfsMountOptions)} must be comma-separated key[=value] options`);
  }
  for (const [k, v] of [
    ['rbd.busyRetries', cfg.rbd.busyRetries], ['rbd.busyRetryIntervalMs', cfg.rbd.busyRetryIntervalMs],
    ['lvm.volumeClearSizeMiB', cfg.lvm.volumeClearSizeMiB], ['lvm.wipeTimeoutSeconds', cfg.lvm.wipeTimeoutSeconds],
    ['iscsi.deviceWaitSeconds', cfg.iscsi.deviceWaitSeconds], ['iscsi.removalWaitSeconds', cfg.iscsi.removalWaitSeconds],
    ['iscsi.flushAttempts', cfg.iscsi.flushAttempts], ['detach.attempts', cfg.detach.attempts],
    ['destroy.attempts', cfg.destroy.attempts], ['destroy.gracefulAttempts', cfg.destroy.gracefulAttempts],
    ['destroy.backoffMs', cfg.destroy.backoffMs],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${k} must be a non-negative integer`);
  }
}
