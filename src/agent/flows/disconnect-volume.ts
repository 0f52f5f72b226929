// DisconnectVolume: the guest releases the device (live + persistent detach,
// confirmed by DEVICE_REMOVED and the live XML, re-sent a bounded number of
// times), then the host connection is torn down by the volume's connector.
// Host teardown never runs while the guest may still hold the device, unless
// the caller forces it.
import { DeviceModifyFlags, DomainXMLFlags } from '../../libvirt/constants';
import type { DeviceEventInfo } from '../../libvirt/connection';
import { parseDomainXml, type DiskInfo } from '../../libvirt/domain-xml';
import { ErrorCode, isLibvirtError, toAppError } from '../../libvirt/errors';
import type { Guest } from '../../libvirt/guest';
import type { DomainRef } from '../../libvirt/host';
import { Conflict, InvalidArgument, Timeout, errorMessage } from '../../errors';
import { abortReason } from '../clock';
import { checkVolumePaths, disconnectHost, ErrorPolicy, isQemuNativeNetworkDisk, validateConnectionData, type VolumeAttachment } from '../volume';
import { nfsMountpoint } from '../volume/nfs';
import { hostVolumeUsage } from '../volume-usage';
import type { FlowDeps, OpContext } from './types';

export interface DisconnectVolumeInput {
  /** Absent: host-only disconnect. */
  ref?: DomainRef;
  volume: VolumeAttachment;
  force: boolean;
  ignoreErrors: boolean;
}

export interface DisconnectVolumeResult {
  /** The domain no longer has the disk (true also when it was not attached). */
  detachedFromDomain: boolean;
  hostDisconnected: boolean;
  warnings: string[];
}

/** Where the volume shows up as a disk source, per connection type. */
function sourceMatches(vol: VolumeAttachment, disk: DiskInfo, nfsBase: string): boolean {
  const info = vol.connection_info;
  if (!info) return false;
  const d = info.data;
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
      return !!d.export && !!disk.path && disk.path.startsWith(`${nfsMountpoint(nfsBase, d.export)}/`);
    default:
      return false;
  }
}

export function findVolumeDisk(vol: VolumeAttachment, disks: DiskInfo[], nfsBase: string): DiskInfo | undefined {
  if (vol.target_dev) return disks.find((d) => d.targetDev === vol.target_dev);
  return disks.find((d) => sourceMatches(vol, d, nfsBase));
}

/** The connectors name fields from "volume."; Destroy's are "volumes[i].". */
function renamed(err: unknown, field: string): unknown {
  if (err instanceof InvalidArgument && field !== 'volume' && err.field?.startsWith('volume.')) {
    return new InvalidArgument(`${field}${err.field.slice('volume'.length)}`, errorMessage(err).slice(err.field.length + 2));
  }
  return err;
}

/**
 * Checks the request before anything on the host or in the guest changes:
 * shape and connection_info per type, and local paths inside the allowed
 * directories (canonical, so symlinks and ".." cannot escape).
 */
export async function checkVolume(vol: VolumeAttachment | undefined, localVolumeDirs: readonly string[], field = 'volume')
  : Promise<VolumeAttachment> {
  if (!vol) throw new InvalidArgument(field, 'is required');
  if (vol.target_dev && !/^[a-z]{2,4}[a-z0-9]{0,6}$/.test(vol.target_dev)) {
    throw new InvalidArgument(`${field}.target_dev`, `not a disk target name: ${JSON.stringify(vol.target_dev)}`);
  }
  const info = vol.connection_info;
  if (!info?.driver_volume_type) throw new InvalidArgument(`${field}.connection_info.driver_volume_type`, 'is required');
  try {
    validateConnectionData(info);
    await checkVolumePaths(info, localVolumeDirs);
  } catch (err) {
    throw renamed(err, field);
  }
  return vol;
}

/** Waits for DEVICE_REMOVED / DEVICE_REMOVAL_FAILED for one device alias. */
function deviceEvent(deps: FlowDeps, uuid: string, alias: string, ms: number, signal?: AbortSignal)
  : Promise<'removed' | 'failed' | 'timeout'> {
  return new Promise((resolve, reject) => {
    const nap = new AbortController();
    const finish = (r: 'removed' | 'failed' | 'timeout') => {
      deps.host.off('deviceRemoved', onRemoved);
      deps.host.off('deviceRemovalFailed', onFailed);
      signal?.removeEventListener('abort', onAbort);
      nap.abort();
      resolve(r);
    };
    const match = (e: DeviceEventInfo) => e.uuid === uuid && (alias === '' || e.alias === alias);
    const onRemoved = (e: DeviceEventInfo) => match(e) && finish('removed');
    const onFailed = (e: DeviceEventInfo) => match(e) && finish('failed');
    const onAbort = () => {
      finish('timeout');
      reject(abortReason(signal!));
    };
    deps.host.on('deviceRemoved', onRemoved);
    deps.host.on('deviceRemovalFailed', onFailed);
    signal?.addEventListener('abort', onAbort, { once: true });
    deps.clock.sleep(ms, nap.signal).then(() => finish('timeout'), () => undefined);
  });
}

async function liveDisk(guest: Guest, targetDev: string): Promise<DiskInfo | undefined> {
  return parseDomainXml(await guest.xml()).disks.find((d) => d.targetDev === targetDev);
}

/** Live detach until the guest lets go of the device; throws naming it otherwise. */
async function detachLive(deps: FlowDeps, ctx: OpContext, guest: Guest, disk: DiskInfo, persistent: boolean): Promise<void> {
  const { attempts, timeoutSeconds } = deps.config.detach;
  let flags = DeviceModifyFlags.LIVE | (persistent ? DeviceModifyFlags.CONFIG : 0);
  const what = `device ${disk.targetDev}${disk.alias ? ` (alias ${disk.alias})` : ''}`;
  for (let i = 1; i <= attempts; i++) {
    // Listen before asking, so an immediate DEVICE_REMOVED is not missed.
    const event = deviceEvent(deps, guest.uuid, disk.alias, timeoutSeconds * 1000, ctx.signal);
    try {
      await ctx.steps.run(`detach-live (${i}/${attempts})`, () => guest.detachDevice(disk.xml, flags));
    } catch (err) {
      if (isLibvirtError(err, ErrorCode.DEVICE_MISSING) || !(await liveDisk(guest, disk.targetDev))) return;
      // libvirt refuses a second request while the guest still works on the first.
      if (!isLibvirtError(err, ErrorCode.OPERATION_FAILED, ErrorCode.OPERATION_INVALID) || i === attempts) {
        throw toAppError(err, `detaching ${what} from '${guest.name}'`, 'volume');
      }
    }
    flags = DeviceModifyFlags.LIVE; // the persistent definition was updated by the first request
    const outcome = await event;
    if (outcome === 'failed') throw new Conflict(`the guest refused to release ${what} (DEVICE_REMOVAL_FAILED)`);
    // A successful call or even the event is not proof: the live XML is.
    if (!(await liveDisk(guest, disk.targetDev))) {
      ctx.steps.record('confirm-detached', 'ok', outcome === 'removed' ? 'DEVICE_REMOVED event' : 'live XML');
      return;
    }
  }
  throw new Timeout(`${what} was not released by guest '${guest.name}' after ${attempts} detach requests of ${timeoutSeconds}s each`);
}

/** The guest half; returns whether the disk is gone from the domain. */
async function detachFromDomain(deps: FlowDeps, ctx: OpContext, ref: DomainRef, vol: VolumeAttachment, policy: ErrorPolicy)
  : Promise<{ gone: boolean; disk?: DiskInfo; uuid?: string }> {
  const guest = await deps.host.find(ref);
  if (!guest) {
    ctx.steps.record('detach', 'skipped', 'domain not found: nothing to detach');
    return { gone: true };
  }
  const persistent = await guest.isPersistent();
  const active = await guest.isActive();
  const live = active ? findVolumeDisk(vol, parseDomainXml(await guest.xml()).disks, deps.config.nfsMountBase) : undefined;
  const inactiveXml = persistent ? await guest.xml(DomainXMLFlags.INACTIVE) : '';
  const config = persistent ? findVolumeDisk(vol, parseDomainXml(inactiveXml).disks, deps.config.nfsMountBase) : undefined;
  if (!live && !config) {
    ctx.steps.record('detach', 'skipped', 'volume not attached');
    return { gone: true };
  }
  const attempt = await policy.attempt('detach', async () => {
    if (live) await detachLive(deps, ctx, guest, live, persistent && !!config);
    else if (config) {
      await guest.detachDevice(config.xml, DeviceModifyFlags.CONFIG).catch((err: unknown) => {
        throw toAppError(err, `detaching ${config.targetDev} from the definition of '${guest.name}'`, 'volume');
      });
    }
  });
  return { gone: attempt.ok, disk: live ?? config, uuid: guest.uuid };
}

export async function disconnectVolume(deps: FlowDeps, ctx: OpContext, input: DisconnectVolumeInput)
  : Promise<DisconnectVolumeResult> {
  const vol = await checkVolume(input.volume, deps.config.localVolumeDirs);
  const policy = new ErrorPolicy({ force: input.force, ignoreErrors: input.ignoreErrors }, ctx.steps);
  let detached = input.ref === undefined;
  let disk: DiskInfo | undefined;
  let uuid: string | undefined;
  if (input.ref) {
    ({ gone: detached, disk, uuid } = await detachFromDomain(deps, ctx, input.ref, vol, policy));
  }

  let hostDone = false;
  if (disk && isQemuNativeNetworkDisk(disk.type, disk.protocol)) {
    ctx.steps.record('host-disconnect', 'skipped', `QEMU opens ${disk.protocol} itself: nothing on the host`);
    hostDone = true;
  } else if (!detached) {
    // Only reachable under force/ignore_errors: a failed detach throws otherwise.
    ctx.steps.record('host-disconnect', 'warning', 'the guest may still hold the device; tearing down as asked');
  }
  if (!hostDone) {
    const before = policy.failed;
    await disconnectHost(vol, {
      runner: deps.runner,
      logger: ctx.logger,
      steps: ctx.steps,
      errors: policy,
      // The disk being disconnected is not "another user" of its storage.
      usage: hostVolumeUsage(deps.host, uuid && disk ? { uuid, targetDev: disk.targetDev } : undefined),
      config: { nfsMountBase: deps.config.nfsMountBase, localVolumeDirs: deps.config.localVolumeDirs },
    });
    hostDone = policy.failed === before;
  }
  const { warnings } = policy.finish();
  return { detachedFromDomain: detached, hostDisconnected: hostDone, warnings };
}
