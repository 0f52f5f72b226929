// Cinder-shaped volume types for the host half of volume connect and disconnect.
import type { DiskInfo } from '../../libvirt/domain-xml';
import type { ConnectionInfo, DriverVolumeType } from '../../volume-types';
import type { Clock } from '../clock';
import type { CommandRunner, Log } from '../exec';
import type { StepRecorder } from '../steps';
import type { HostIO } from './host-io';
import type { ErrorPolicy } from './policy';

export type { ConnectionInfo, DriverVolumeType };

/** Mirrors proto virtagent.v1.VolumeAttachment (optional fields as protobuf may omit them). */
export interface VolumeAttachment {
  volume_id: string;
  target_dev: string;
  connection_info?: ConnectionInfo;
}

/** A disk of some other domain (or of this domain, but another volume) on this host. */
export interface DiskSource {
  domain: string;
  targetDev: string;
  /** libvirt disk type: file, block, network, ... */
  type: string;
  /** File path, block device path, or for network disks "protocol:name". */
  source: string;
}

/**
 * Who else uses host storage. The agent builds it from every domain's XML,
 * excluding the volume being disconnected; connectors consult it before tearing
 * down something shared (an NFS mount, a multi-attached device).
 */
export interface HostVolumeUsage {
  otherDiskSources(): Promise<DiskSource[]>;
}

/** How `rbd` reaches the cluster: `--id`, `--conf`, `--cluster` (empty = ceph's default). */
export interface CephClientConfig {
  user: string;
  confPath: string;
  cluster: string;
}

export interface IscsiHostConfig {
  /** Connect: longest wait for the SCSI devices and the multipath map. */
  deviceWaitMs: number;
  /** Disconnect: longest wait for deleted SCSI devices to leave sysfs. */
  removalWaitMs: number;
  /** `multipath -f` attempts before giving up (os-brick: 3). */
  flushAttempts: number;
  /** Multipath even for a single portal. */
  useMultipath: boolean;
  /** Between checks while waiting. */
  pollMs: number;
}

export interface VolumeHostConfig {
  /** Absolute directory NFS exports are mounted under (Nova: nfs_mount_point_base). */
  nfsMountBase: string;
  /** Mountpoint name: md5 of the export (Nova's, the default) or sha256. */
  nfsMountpointHash?: 'md5' | 'sha256';
  /** Extra `mount -o` options for every NFS mount. */
  nfsMountOptions?: string;
  ceph?: CephClientConfig;
  iscsi?: Partial<IscsiHostConfig>;
  /** If non-empty, local volume paths must lie inside one of these directories. */
  localVolumeDirs?: readonly string[];
  /** Per-command timeout; default 30 s (exec.ts). */
  commandTimeoutMs?: number;
  /** Longest wait for the host-wide iSCSI / per-mount NFS lock; default 300 s. */
  lockTimeoutMs?: number;
}

export interface VolumeContext {
  runner: CommandRunner;
  logger: Log;
  steps: StepRecorder;
  /** Shared with the caller, who calls errors.finish() at the end of the whole operation. */
  errors: ErrorPolicy;
  usage: HostVolumeUsage;
  config: VolumeHostConfig;
  /** sysfs and mount table; defaults to the real host (hostIO()). */
  host?: HostIO;
  /** For waits (device appearance / removal, retries); default the system clock. */
  clock?: Clock;
  /** Aborts waits when the caller's deadline passes. */
  signal?: AbortSignal;
}

/** What ConnectVolume answers: where the volume is on this host. */
export interface ConnectResult {
  /** Block device or file path to give the guest. */
  devicePath: string;
}

/** connection_info.data: each connector documents the keys it reads. */
export type ConnectionData = Record<string, string>;

/**
 * Everything the agent does with one volume type lives in its connector:
 * request checks, which domain disk is the volume, and the host half of
 * connect and disconnect. Registered in volume/index.ts.
 */
export interface VolumeConnector {
  readonly type: DriverVolumeType;
  /**
   * Checks connection_info.data before anything happens: before the guest
   * detach (a request the connector would refuse never leaves a volume half
   * disconnected) and before any connect (one bad volume of several is
   * refused before the first is connected). `connect` adds what only
   * connecting needs (CHAP settings, monitors, the NFS file name). Throws
   * InvalidArgument naming the field; connect and disconnect check again.
   */
  validate(data: ConnectionData, opts: { connect?: boolean }): void;
  /**
   * The checks that need the file system (canonical paths inside the
   * allowed directories), also before anything happens.
   */
  checkPaths(data: ConnectionData, localVolumeDirs: readonly string[]): Promise<void>;
  /**
   * Whether a disk of a domain's XML is this volume, by where its
   * connection_info puts it (used when the request names no target_dev).
   */
  matchesDisk(data: ConnectionData, disk: DiskInfo, config: Pick<VolumeHostConfig, 'nfsMountBase'>): boolean;
  /**
   * Make the volume available on this host (login, map, mount) and answer
   * its path. Validates connection_info before any command runs; idempotent
   * (an existing session, mapping or mount is reused); any failure aborts.
   */
  connect(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult>;
  /**
   * Undo on the host what connect did. Validates connection_info before any
   * command runs; records steps; failures go through ctx.errors.
   */
  disconnect(vol: VolumeAttachment, ctx: VolumeContext): Promise<void>;
}
