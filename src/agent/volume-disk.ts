// Glue between the flows and the volume connectors: the connectors' settings
// and context from the agent's configuration, and which disk of a domain a
// volume is (by target, else by where its connection_info puts it).
import type { DiskInfo } from '../libvirt/domain-xml';
import { systemClock } from './clock';
import type { AgentConfig } from './config';
import type { FlowDeps, OpContext } from './flows/types';
import { ErrorPolicy, type VolumeAttachment, type VolumeContext, type VolumeHostConfig } from './volume';
import { nfsMountpoint } from './volume/nfs';
import { hostVolumeUsage } from './volume-usage';

export function volumeHostConfig(config: AgentConfig): VolumeHostConfig {
  return {
    nfsMountBase: config.nfsMountBase,
    nfsMountpointHash: config.nfsMountpointHash,
    nfsMountOptions: config.nfsMountOptions,
    localVolumeDirs: config.localVolumeDirs,
    ceph: { user: config.rbd.user, confPath: config.rbd.confPath, cluster: config.rbd.cluster },
    iscsi: {
      deviceWaitMs: config.iscsi.deviceWaitSeconds * 1000,
      removalWaitMs: config.iscsi.removalWaitSeconds * 1000,
      flushAttempts: config.iscsi.flushAttempts,
      useMultipath: config.iscsi.useMultipath,
    },
  };
}

/**
 * A connector context for one request. `exclude` is the disk being
 * disconnected: it is not "another user" of its own storage.
 */
export function volumeContext(deps: FlowDeps, ctx: OpContext, errors: ErrorPolicy, exclude?: { uuid: string; targetDev: string })
  : VolumeContext {
  return {
    runner: deps.runner,
    logger: ctx.logger,
    steps: ctx.steps,
    errors,
    usage: hostVolumeUsage(deps.host, exclude),
    config: volumeHostConfig(deps.config),
    clock: deps.clock ?? systemClock,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** Where the volume shows up as a disk source, per connection type. */
function sourceMatches(vol: VolumeAttachment, disk: DiskInfo, nfsBase: string): boolean {
  const info = vol.connection_info;
  if (!info) return false;
  const d = info.data ?? {};
  switch (info.driver_volume_type) {
    case 'local':
      return !!d.device_path && disk.source === d.device_path;
    case 'rbd':
      return disk.protocol === 'rbd' ? disk.source === (d.name?.includes('/') ? d.name : `${d.pool}/${d.name}`)
        : !!d.device_path && disk.source === d.device_path;
    case 'iscsi':
      return (disk.protocol === 'iscsi' && !!d.target_iqn && disk.source.startsWith(d.target_iqn))
        || (!!d.device_path && disk.source === d.device_path)
        || (!!d.target_iqn && disk.type === 'block' && disk.source.includes(`iscsi-${d.target_iqn}-lun-${d.target_lun ?? ''}`));
    case 'nfs':
      // Either naming scheme: the mount may predate a change of nfsMountpointHash.
      return !!d.export && !!disk.path
        && (['md5', 'sha256'] as const).some((h) => disk.path!.startsWith(`${nfsMountpoint(nfsBase, d.export!, h)}/`));
    default:
      return false;
  }
}

export function findVolumeDisk(vol: VolumeAttachment, disks: DiskInfo[], nfsBase: string): DiskInfo | undefined {
  if (vol.target_dev) return disks.find((d) => d.targetDev === vol.target_dev);
  return disks.find((d) => sourceMatches(vol, d, nfsBase));
}
