// DisconnectVolume: the guest releases the device (live + persistent detach,
// confirmed by DEVICE_REMOVED and the live XML, re-sent a bounded number of
// times), then the host connection is torn down by the volume's connector.
// Host teardown never runs while the guest may still hold the device, unless
// the caller forces it.
import { DeviceModifyFlags, DomainXMLFlags } from '../../libvirt/constants';
import type { DeviceEventInfo } from '../../libvirt/connection';
import { parseDomainXml, type DiskInfo } from '../../libvirt/domain-xml';
import { ErrorCode, hasLibvirtCode, isUnplugPending } from '../../libvirt/errors';
import type { Guest } from '../../libvirt/guest';
import type { DomainRef } from '../../libvirt/host';
import { Conflict, InvalidArgument, Timeout, errorMessage } from '../../errors';
import { abortReason } from '../clock';
import {
  checkVolumePaths, disconnectHost, ErrorPolicy, findVolumeDisk, isQemuNativeNetworkDisk, validateConnectionData, type VolumeAttachment,
} from '../volume';
import { volumeContext } from '../volume-disk';
import { targetOf } from './target';
import type { FlowDeps, OpContext } from './types';

export interface DisconnectVolumeInput {
  /** Absent: host-only disconnect. */
  ref?: DomainRef;
  /** Unset in a request without one: refused, naming the field. */
  volume: VolumeAttachment | undefined;
  force: boolean;
  ignoreErrors: boolean;
}

export interface DisconnectVolumeResult {
  /** The domain no longer has the disk (true also when it was not attached). */
  detachedFromDomain: boolean;
  hostDisconnected: boolean;
  warnings: string[];
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
export async function checkVolume(vol: VolumeAttachment | undefined, localVolumeDirs: readonly string[], field = 'volume',
  opts: { connect?: boolean } = {}): Promise<VolumeAttachment> {
  if (!vol) throw new InvalidArgument(field, 'is required');
  if (vol.target_dev && !/^[a-z]{2,4}[a-z0-9]{0,6}$/.test(vol.target_dev)) {
    throw new InvalidArgument(`${field}.target_dev`, `not a disk target name: ${JSON.stringify(vol.target_dev)}`);
  }
  const info = vol.connection_info;
  if (!info?.driver_volume_type) throw new InvalidArgument(`${field}.connection_info.driver_volume_type`, 'is required');
  try {
    validateConnectionData(info, opts);
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

/** Removes the disk from the persistent definition only; a disk already gone from it is fine. */
async function detachConfig(ctx: OpContext, guest: Guest, disk: DiskInfo): Promise<void> {
  await ctx.steps.run('detach-config', async (step) => {
    try {
      await guest.detachDevice(disk.xml, DeviceModifyFlags.CONFIG);
    } catch (err) {
      if (!hasLibvirtCode(err, ErrorCode.DEVICE_MISSING)) throw err;
      step.outcome('skipped');
      step.detail('not in the definition');
    }
  });
}

/**
 * Live detach until the guest lets go of the device; throws naming it
 * otherwise. With `config`, the first request also removes it from the
 * persistent definition — libvirt saves that only when the live part of the
 * same call succeeds, so CONFIG stays in the flags until a call does, and a
 * device that left by an earlier (pending) unplug gets a CONFIG-only detach.
 */
async function detachLive(deps: FlowDeps, ctx: OpContext, guest: Guest, disk: DiskInfo, config: DiskInfo | undefined): Promise<void> {
  const { attempts, timeoutSeconds } = deps.config.detach;
  let configPending = config !== undefined;
  const what = `device ${disk.targetDev}${disk.alias ? ` (alias ${disk.alias})` : ''}`;
  const released = async (how: string) => {
    ctx.steps.record('confirm-detached', 'ok', how);
    if (configPending) await detachConfig(ctx, guest, config!);
  };
  for (let i = 1; i <= attempts; i++) {
    // Listen before asking, so an immediate DEVICE_REMOVED is not missed.
    const event = deviceEvent(deps, guest.uuid, disk.alias, timeoutSeconds * 1000, ctx.signal);
    const flags = DeviceModifyFlags.LIVE | (configPending ? DeviceModifyFlags.CONFIG : 0);
    try {
      await ctx.steps.run(`detach-live (${i}/${attempts})`, async (step) => {
        try {
          // disk.xml is the parsed <devices><disk> element of this very disk, serialized again.
          await guest.detachDevice(disk.xml, flags);
          configPending = false;
        } catch (err) {
          if (!isUnplugPending(err)) throw err;
          step.outcome('skipped');
          step.detail('an earlier unplug of the device is still pending; waiting for DEVICE_REMOVED');
        }
      });
    } catch (err) {
      if (hasLibvirtCode(err, ErrorCode.DEVICE_MISSING) || !(await liveDisk(guest, disk.targetDev))) {
        return released('gone from the live XML');
      }
      // libvirt refuses a second request while the guest still works on the first.
      if (!hasLibvirtCode(err, ErrorCode.OPERATION_FAILED, ErrorCode.OPERATION_INVALID) || i === attempts) throw err;
    }
    const outcome = await event;
    if (outcome === 'failed') throw new Conflict(`the guest refused to release ${what} (DEVICE_REMOVAL_FAILED)`);
    // A successful call or even the event is not proof: the live XML is.
    if (!(await liveDisk(guest, disk.targetDev))) return released(outcome === 'removed' ? 'DEVICE_REMOVED event' : 'live XML');
  }
  throw new Timeout(`${what} was not released by guest '${guest.name}' after ${attempts} detach requests of ${timeoutSeconds}s each`);
}

/** The disks of the domain that are the volume (live and persistent); undefined when the domain is gone meanwhile. */
async function volumeDisks(deps: FlowDeps, guest: Guest, vol: VolumeAttachment)
  : Promise<{ live?: DiskInfo; config?: DiskInfo } | undefined> {
  try {
    const persistent = await guest.isPersistent();
    const active = await guest.isActive();
    // Disks come from the parsed <devices> element only (a <disk> in <metadata> is not one).
    const live = active ? findVolumeDisk(vol, parseDomainXml(await guest.xml()).disks, deps.config.nfsMountBase) : undefined;
    const inactiveXml = persistent ? await guest.xml(DomainXMLFlags.INACTIVE) : '';
    const config = persistent ? findVolumeDisk(vol, parseDomainXml(inactiveXml).disks, deps.config.nfsMountBase) : undefined;
    return { live, config };
  } catch (err) {
    // A transient domain is gone once stopped (e.g. by Destroy just before).
    if (hasLibvirtCode(err, ErrorCode.NO_DOMAIN)) return undefined;
    throw err;
  }
}

/** The guest half; returns whether the disk is gone from the domain. */
async function detachFromDomain(deps: FlowDeps, ctx: OpContext, guest: Guest | null, vol: VolumeAttachment, policy: ErrorPolicy)
  : Promise<{ gone: boolean; disk?: DiskInfo; uuid?: string }> {
  const disks = guest ? await volumeDisks(deps, guest, vol) : undefined;
  if (!guest || !disks) {
    ctx.steps.record('detach', 'skipped', 'domain not found: nothing to detach');
    return { gone: true };
  }
  const { live, config } = disks;
  if (!live && !config) {
    ctx.steps.record('detach', 'skipped', 'volume not attached');
    return { gone: true };
  }
  const attempt = await policy.attempt('detach', async () => {
    if (live) await detachLive(deps, ctx, guest, live, config);
    else if (config) await guest.detachDevice(config.xml, DeviceModifyFlags.CONFIG);
  });
  return { gone: attempt.ok, disk: live ?? config, uuid: guest.uuid };
}

export async function disconnectVolume(deps: FlowDeps, ctx: OpContext, input: DisconnectVolumeInput)
  : Promise<DisconnectVolumeResult> {
  const vol = await checkVolume(input.volume, deps.config.localVolumeDirs);
  const guest = input.ref ? await targetOf(deps, ctx, input.ref) : undefined;
  return disconnectFrom(deps, ctx, guest, vol, input);
}

/**
 * DisconnectVolume of a checked volume (checkVolume) for a domain already
 * looked up: its Guest, null when libvirt has none, undefined for a
 * host-only disconnect.
 */
export async function disconnectFrom(deps: FlowDeps, ctx: OpContext, guest: Guest | null | undefined, vol: VolumeAttachment,
  flags: { force: boolean; ignoreErrors: boolean }): Promise<DisconnectVolumeResult> {
  const policy = new ErrorPolicy({ force: flags.force, ignoreErrors: flags.ignoreErrors }, ctx.steps);
  let detached = guest === undefined;
  let disk: DiskInfo | undefined;
  let uuid: string | undefined;
  if (guest !== undefined) {
    ({ gone: detached, disk, uuid } = await detachFromDomain(deps, ctx, guest, vol, policy));
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
    // The disk being disconnected is not "another user" of its storage.
    await disconnectHost(vol, volumeContext(deps, ctx, policy, uuid && disk ? { uuid, targetDev: disk.targetDev } : undefined));
    hostDone = policy.failed === before;
  }
  const { warnings } = policy.finish();
  return { detachedFromDomain: detached, hostDisconnected: hostDone, warnings };
}
