// Destroy in the order of Nova's _cleanup: stop the domain, disconnect its
// volumes, remove its own disks, and undefine it last with every piece of
// metadata (managed save, NVRAM, snapshots, checkpoints), falling back step
// by step when the driver rejects a flag. A missing domain is success.
import { DomainXMLFlags, UndefineFlags } from '../../libvirt/constants';
import { ErrorCode, isLibvirtError, toAppError, type LibvirtError } from '../../libvirt/errors';
import type { Guest } from '../../libvirt/guest';
import type { DomainRef } from '../../libvirt/host';
import { errorMessage } from '../../errors';
import { removeOwnedDisks } from '../disks';
import type { VolumeAttachment } from '../volume';
import { checkVolume, disconnectVolume } from './disconnect-volume';
import { forceStop } from './force-stop';
import type { FlowDeps, OpContext } from './types';

export interface DestroyInput {
  ref: DomainRef;
  destroyDisks: boolean;
  keepNvram: boolean;
  volumes: VolumeAttachment[];
}

export interface DestroyResult {
  found: boolean;
  wasRunning: boolean;
  undefined: boolean;
  managedSaveRemoved: boolean;
  warnings: string[];
}

const FLAG_NAMES: Array<[number, string]> = [
  [UndefineFlags.MANAGED_SAVE, 'MANAGED_SAVE'],
  [UndefineFlags.SNAPSHOTS_METADATA, 'SNAPSHOTS_METADATA'],
  [UndefineFlags.NVRAM, 'NVRAM'],
  [UndefineFlags.KEEP_NVRAM, 'KEEP_NVRAM'],
  [UndefineFlags.CHECKPOINTS_METADATA, 'CHECKPOINTS_METADATA'],
];

export function undefineFlagNames(flags: number): string {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n).join('|') || 'none';
}

/** Which flags to drop after a rejection: the ones libvirt names, else the least essential one left. */
function rejectedBits(err: LibvirtError, flags: number): number {
  const m = /unsupported flags \(0x([0-9a-f]+)\)/i.exec(err.message);
  if (m) {
    const bits = parseInt(m[1]!, 16) & flags;
    if (bits) return bits;
  }
  for (const bit of [UndefineFlags.CHECKPOINTS_METADATA, UndefineFlags.NVRAM, UndefineFlags.KEEP_NVRAM,
    UndefineFlags.SNAPSHOTS_METADATA, UndefineFlags.MANAGED_SAVE]) {
    if (flags & bit) return bit;
  }
  return flags;
}

function isFlagRejection(err: unknown): err is LibvirtError {
  return isLibvirtError(err, ErrorCode.INVALID_ARG, ErrorCode.NO_SUPPORT, ErrorCode.ARGUMENT_UNSUPPORTED);
}

/** Undefine with the full flag set, stepping down on rejected flags. */
async function undefineGuest(ctx: OpContext, guest: Guest, keepNvram: boolean): Promise<void> {
  let flags = UndefineFlags.MANAGED_SAVE | UndefineFlags.SNAPSHOTS_METADATA | UndefineFlags.CHECKPOINTS_METADATA
    | (keepNvram ? UndefineFlags.KEEP_NVRAM : UndefineFlags.NVRAM);
  for (;;) {
    try {
      await guest.undefine(flags);
      ctx.steps.record('undefine', 'ok', `flags ${undefineFlagNames(flags)}`);
      return;
    } catch (err) {
      if (isLibvirtError(err, ErrorCode.NO_DOMAIN)) {
        ctx.steps.record('undefine', 'skipped', 'domain already gone');
        return;
      }
      if (!isFlagRejection(err) || flags === 0) throw toAppError(err, `undefining domain '${guest.name}'`);
      const drop = rejectedBits(err, flags);
      if (drop & UndefineFlags.MANAGED_SAVE && (await guest.hasManagedSaveImage())) {
        // Without the flag libvirt refuses to undefine a domain with an image: remove it first.
        await ctx.steps.run('managed-save-remove', () => guest.managedSaveRemove());
      }
      const next = flags & ~drop;
      ctx.steps.record('undefine', 'fallback',
        `flags ${undefineFlagNames(flags)} rejected (${err.message}); retrying with ${undefineFlagNames(next)}`);
      flags = next;
    }
  }
}

export async function destroy(deps: FlowDeps, ctx: OpContext, input: DestroyInput): Promise<DestroyResult> {
  const volumes = await Promise.all(input.volumes.map((v, i) => checkVolume(v, deps.config.localVolumeDirs, `volumes[${i}]`)));
  const result: DestroyResult = { found: false, wasRunning: false, undefined: false, managedSaveRemoved: false, warnings: [] };
  const guest = await deps.host.find(input.ref);
  if (!guest) {
    ctx.steps.record('lookup', 'skipped', 'domain not found: nothing to destroy');
    return result;
  }
  result.found = true;
  const persistent = await guest.isPersistent();
  // Read before the domain changes: the disks to remove and the save image.
  const xml = persistent ? await guest.xml(DomainXMLFlags.INACTIVE) : await guest.xml();
  const hadManagedSave = persistent && (await guest.hasManagedSaveImage());

  // 1. stop — by activity, not state: a CRASHED domain kept for debugging
  // (on_crash=preserve) still has a QEMU process.
  if (await guest.isActive()) {
    result.wasRunning = true;
    await forceStop(deps, ctx, guest);
  }

  // 2. volumes: with destroy_disks a failure is only a warning (the instance is going away)
  for (const vol of volumes) {
    try {
      const r = await disconnectVolume(deps, ctx, {
        ref: { uuid: guest.uuid }, volume: vol, force: false, ignoreErrors: input.destroyDisks,
      });
      result.warnings.push(...r.warnings.map((w) => `volume ${vol.volume_id}: ${w}`));
    } catch (err) {
      if (!input.destroyDisks) throw err;
      result.warnings.push(`volume ${vol.volume_id}: ${errorMessage(err)}`);
    }
  }

  // 3. the domain's own disks
  if (input.destroyDisks) {
    const r = await removeOwnedDisks({ runner: deps.runner, steps: ctx.steps, instancesPath: deps.config.instancesPath }, guest.uuid, xml);
    result.warnings.push(...r.warnings);
  }

  // 4. undefine last (a transient domain has no definition and is gone once stopped)
  if (persistent) {
    await undefineGuest(ctx, guest, input.keepNvram);
    result.undefined = true;
    result.managedSaveRemoved = hadManagedSave;
  } else {
    ctx.steps.record('undefine', 'skipped', 'transient domain: no definition');
  }
  await deps.store.remove(guest.uuid);
  return result;
}
