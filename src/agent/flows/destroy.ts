// Destroy in the order of Nova's _cleanup: stop the domain (a CRASHED one kept
// by on_crash=preserve too), disconnect its volumes, remove its own disks
// (disks.ts: the ownership rule), and undefine it last with every piece of
// metadata (managed save, NVRAM, snapshots, checkpoints), falling back step
// by step when the driver rejects a flag. A missing domain is success, and
// still cleaned up after, as Nova's cleanup is: the listed volumes are
// disconnected on the host and, addressed by uuid with destroy_disks, the
// instance directory and the <uuid>_* RBD images and LVs are removed.
import { UndefineFlags } from '../../libvirt/constants';
import { ErrorCode, hasLibvirtCode, isFlagRejection, libvirtErrorOf } from '../../libvirt/errors';
import type { Guest, XmlWanted } from '../../libvirt/guest';
import type { DomainRef } from '../../libvirt/host';
import { errorMessage } from '../../errors';
import { removeInstanceDisks } from '../disks';
import type { VolumeAttachment } from '../volume';
import { checkVolume, disconnectFrom } from './disconnect-volume';
import { forceStop } from './force-stop';
import { targetFacts, targetOf } from './target';
import type { FlowDeps, OpContext } from './types';

export interface DestroyInput {
  ref: DomainRef;
  destroyDisks: boolean;
  keepNvram: boolean;
  volumes: VolumeAttachment[];
}

/**
 * What Destroy reads before it changes anything: the operation manager reads
 * it with its lookup, in one binding job (server.ts: OperationOptions.describe).
 */
export const DESTROY_FACTS: Readonly<XmlWanted> = Object.freeze({ inactiveIfPersistent: true });

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

/** The flags libvirt names as unsupported in `message` ("unsupported flags (0x..)"), of `flags`; 0 when it names none. */
function namedUnsupported(message: string, flags: number): number {
  const m = /unsupported flags \(0x([0-9a-f]+)\)/i.exec(message);
  return m ? parseInt(m[1]!, 16) & flags : 0;
}

/** Which flags to drop after a rejection: the ones libvirt names (in `message`), else the least essential one left. */
function rejectedBits(message: string, flags: number): number {
  const bits = namedUnsupported(message, flags);
  if (bits) return bits;
  for (const bit of [UndefineFlags.CHECKPOINTS_METADATA, UndefineFlags.NVRAM, UndefineFlags.KEEP_NVRAM,
    UndefineFlags.SNAPSHOTS_METADATA, UndefineFlags.MANAGED_SAVE]) {
    if (flags & bit) return bit;
  }
  return flags;
}

/**
 * Undefine flags a connection's driver refused by name ("unsupported flags
 * (0x..)": its virCheckFlags, the same for every domain), by connection: the
 * next Destroy on it does not offer them again, one undefine call instead of
 * two. A new connection (a reconnect, maybe a newer libvirtd) starts afresh.
 */
const refusedByDriver = new WeakMap<object, number>();

/** The connection the memo is kept for; undefined when libvirt is not connected (the call fails anyway). */
function connectionKey(deps: FlowDeps): object | undefined {
  try {
    return deps.host.connection();
  } catch {
    return undefined;
  }
}

/** Without the flag libvirt refuses to undefine a domain with a managed-save image: remove it first. */
async function removeSaveImageFirst(ctx: OpContext, guest: Guest): Promise<void> {
  if (await guest.hasManagedSaveImage()) await ctx.steps.run('managed-save-remove', () => guest.managedSaveRemove());
}

/** Undefine with the full flag set, stepping down on rejected flags. */
async function undefineGuest(deps: FlowDeps, ctx: OpContext, guest: Guest, keepNvram: boolean): Promise<void> {
  const key = connectionKey(deps);
  const refused = key ? (refusedByDriver.get(key) ?? 0) : 0;
  const full = UndefineFlags.MANAGED_SAVE | UndefineFlags.SNAPSHOTS_METADATA | UndefineFlags.CHECKPOINTS_METADATA
    | (keepNvram ? UndefineFlags.KEEP_NVRAM : UndefineFlags.NVRAM);
  let flags = full & ~refused;
  const known = full & refused;
  if (known & UndefineFlags.MANAGED_SAVE) await removeSaveImageFirst(ctx, guest);
  const earlier = known ? ` (${undefineFlagNames(known)} refused earlier by this connection's driver)` : '';
  for (;;) {
    try {
      await guest.undefine(flags);
      ctx.steps.record('undefine', 'ok', `flags ${undefineFlagNames(flags)}${earlier}`);
      return;
    } catch (err) {
      if (hasLibvirtCode(err, ErrorCode.NO_DOMAIN)) {
        ctx.steps.record('undefine', 'skipped', 'domain already gone');
        return;
      }
      if (!isFlagRejection(err) || flags === 0) throw err;
      const message = libvirtErrorOf(err)?.message ?? errorMessage(err);
      const named = namedUnsupported(message, flags);
      if (key && named) refusedByDriver.set(key, (refusedByDriver.get(key) ?? 0) | named);
      const drop = rejectedBits(message, flags);
      if (drop & UndefineFlags.MANAGED_SAVE) await removeSaveImageFirst(ctx, guest);
      const next = flags & ~drop;
      ctx.steps.record('undefine', 'fallback',
        `flags ${undefineFlagNames(flags)} rejected (${message}); retrying with ${undefineFlagNames(next)}`);
      flags = next;
    }
  }
}

/**
 * The listed volumes, one by one. With destroy_disks a failure is only a
 * warning (the instance is going away); without, it aborts the Destroy.
 */
async function disconnectVolumes(deps: FlowDeps, ctx: OpContext, input: DestroyInput, volumes: VolumeAttachment[],
  guest: Guest | undefined, result: DestroyResult): Promise<void> {
  for (const vol of volumes) {
    try {
      const r = await disconnectFrom(deps, ctx, guest, vol, { force: false, ignoreErrors: input.destroyDisks });
      result.warnings.push(...r.warnings.map((w) => `volume ${vol.volume_id}: ${w}`));
    } catch (err) {
      if (!input.destroyDisks) throw err;
      result.warnings.push(`volume ${vol.volume_id}: ${errorMessage(err)}`);
    }
  }
}

/** libvirt has no such domain: clean up what it may have left on this host. */
async function cleanupWithoutDomain(deps: FlowDeps, ctx: OpContext, input: DestroyInput, volumes: VolumeAttachment[],
  result: DestroyResult): Promise<DestroyResult> {
  const uuid = input.ref.uuid?.toLowerCase();
  const cleanup = volumes.length > 0 || (input.destroyDisks && uuid !== undefined);
  ctx.steps.record('lookup', 'skipped', cleanup ? 'domain not found: cleaning up what it left on the host' : 'domain not found: nothing to destroy');
  await disconnectVolumes(deps, ctx, input, volumes, undefined, result);
  if (input.destroyDisks && uuid === undefined) {
    ctx.steps.record('remove-disks', 'skipped', 'addressed by name: instance disks are only found by uuid');
  } else if (input.destroyDisks && uuid !== undefined) {
    // A transient domain libvirt forgot may have left its definition with us: its disks too.
    const stored = await deps.store.load(uuid).catch(() => null);
    const r = await removeInstanceDisks(deps, ctx, uuid, stored, volumes);
    result.warnings.push(...r.warnings);
  }
  if (uuid !== undefined) await deps.store.remove(uuid);
  return result;
}

export async function destroy(deps: FlowDeps, ctx: OpContext, input: DestroyInput): Promise<DestroyResult> {
  const volumes = await Promise.all(input.volumes.map((v, i) => checkVolume(v, deps.config.localVolumeDirs, `volumes[${i}]`)));
  const result: DestroyResult = { found: false, wasRunning: false, undefined: false, managedSaveRemoved: false, warnings: [] };
  const guest = await targetOf(deps, ctx, input.ref);
  if (!guest) return cleanupWithoutDomain(deps, ctx, input, volumes, result);
  result.found = true;
  // Read before the domain changes, in one binding job (with the lookup when
  // the manager made it): the disks to remove (the definition's when
  // persistent), the save image, whether it runs.
  const facts = targetFacts(ctx, input.ref, DESTROY_FACTS) ?? await guest.describe(DESTROY_FACTS);
  const { persistent, xml } = facts;
  const hadManagedSave = persistent && facts.managedSave;

  // 1. stop — by activity, not state: a CRASHED domain kept for debugging
  // (on_crash=preserve) still has a QEMU process.
  if (facts.active) {
    result.wasRunning = true;
    await forceStop(deps, ctx, guest);
  }

  // 2. volumes
  await disconnectVolumes(deps, ctx, input, volumes, guest, result);

  // 3. the domain's own disks, by the ownership rule
  if (input.destroyDisks) {
    const r = await removeInstanceDisks(deps, ctx, guest.uuid, xml, volumes);
    result.warnings.push(...r.warnings);
  }

  // 4. undefine last (a transient domain has no definition and is gone once stopped)
  if (persistent) {
    await undefineGuest(deps, ctx, guest, input.keepNvram);
    result.undefined = true;
    result.managedSaveRemoved = hadManagedSave;
  } else {
    ctx.steps.record('undefine', 'skipped', 'transient domain: no definition');
  }
  await deps.store.remove(guest.uuid);
  return result;
}
