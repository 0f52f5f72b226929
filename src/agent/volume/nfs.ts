// NFS host disconnect. One mount per export, shared by every volume on it, so
// unmounting is reference-counted through HostVolumeUsage:
//   1. mountpoint = <nfsMountBase>/<sha256 hex of the export string>; not in
//      /proc/self/mountinfo → nothing to do
//   2. any other domain disk whose source lies under the mountpoint → keep it
//   3. umount MOUNTPOINT, then rmdir it
// A failed umount (busy, server gone) is only a warning, whatever the policy:
// the volume itself is already detached; a stale mount is cleaned up later, but
// failing here would make the caller think the volume is still in use.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FailedPrecondition, InvalidArgument } from '../../errors';
import { canonicalPath, DEFAULT_IO_TIMEOUT_MS, hostIO, parseMountinfo, withTimeout } from './host-io';
import { KeyedMutex } from './mutex';
import type { VolumeAttachment, VolumeConnector, VolumeContext } from './types';
import { dataField, isInside, validateExport } from './validate';

/**
 * Where an export is mounted. Deliberately sha256 (hex) rather than Nova's md5:
 * md5 is refused on FIPS hosts. The export string is hashed exactly as sent
 * (trimmed), so connect and disconnect must both use this function.
 */
export function nfsMountpoint(mountBase: string, exportSpec: string): string {
  return path.join(mountBase, createHash('sha256').update(exportSpec.trim()).digest('hex'));
}

export function nfsMountBase(configured: string): string {
  if (!path.isAbsolute(configured) || configured.includes('\0')) {
    throw new FailedPrecondition(`nfs mount base ${JSON.stringify(configured)} must be an absolute path`);
  }
  return path.resolve(configured);
}

/** Per-mountpoint lock: a concurrent connect must not mount while we unmount. */
export const nfsMountLocks = new KeyedMutex('NFS mountpoint');

export class NfsConnector implements VolumeConnector {
  readonly type = 'nfs' as const;

  /** Keys read from data: `export` ("host:/path"); `name` (the file) is not needed to unmount. */
  async disconnect(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
    const raw = vol.connection_info?.data?.['export'];
    if (raw === undefined || raw.trim() === '') throw new InvalidArgument(dataField('export'), 'is required');
    const exportSpec = validateExport(dataField('export'), raw);
    const base = nfsMountBase(ctx.config.nfsMountBase);
    const mountpoint = nfsMountpoint(base, exportSpec);
    if (!isInside(base, mountpoint)) throw new FailedPrecondition(`mountpoint ${mountpoint} escapes ${base}`); // defence in depth
    await nfsMountLocks.runExclusive(mountpoint, () => this.unmountIfUnused(exportSpec, base, mountpoint, ctx), ctx.config.lockTimeoutMs);
  }

  private async unmountIfUnused(exportSpec: string, base: string, mountpoint: string, ctx: VolumeContext): Promise<void> {
    const { errors } = ctx;
    const host = ctx.host ?? hostIO();
    // The base may be a symlink; the mount table shows the resolved path.
    const names = [...new Set([mountpoint, path.join(await canonicalPath(base), path.basename(mountpoint))])];

    const mounted = await errors.attempt(`nfs: find mount of ${exportSpec}`, async (step) => {
      const entries = parseMountinfo(await host.readMountinfo());
      const hit = entries.filter((e) => names.includes(e.mountPoint)).pop(); // last = topmost
      step.detail(hit ? `${hit.source} on ${hit.mountPoint} (${hit.fsType})` : `not mounted at ${mountpoint}`);
      if (!hit) step.outcome('skipped');
      return hit?.mountPoint;
    });
    if (!mounted.ok || mounted.value === undefined) return;
    const at = mounted.value;

    const users = await errors.attempt(`nfs: check other users of ${at}`, async (step) => {
      const others = (await ctx.usage.otherDiskSources()).filter(
        (d) => path.isAbsolute(d.source) && names.some((n) => isInside(n, path.resolve(d.source))),
      );
      step.detail(others.length ? `still used by ${others.map((u) => `${u.domain}/${u.targetDev}`).join(', ')}` : 'no other users');
      if (others.length) step.outcome('skipped');
      return others.length;
    });
    // Unknown usage: keep the mount (the failure itself is handled by the policy).
    if (!users.ok || users.value > 0) return;

    const um = await errors.tolerate(`nfs: umount ${at}`, () => ctx.runner.run('umount', [at], { timeoutMs: ctx.config.commandTimeoutMs }));
    if (!um.ok) {
      ctx.logger.warn({ mountpoint: at, err: um.error }, 'NFS umount failed; leaving the mount in place');
      return;
    }
    await errors.tolerate(`nfs: remove mountpoint ${at}`, async (step) => {
      try {
        await withTimeout(fsp.rmdir(at), DEFAULT_IO_TIMEOUT_MS, `rmdir ${at}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        step.outcome('skipped');
      }
    });
  }
}
