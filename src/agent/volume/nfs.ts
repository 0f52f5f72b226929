// NFS host connect and disconnect. One mount per export, shared by every
// volume on it, so unmounting is reference-counted through HostVolumeUsage.
// Connect (under the mountpoint's lock):
//   mountpoint = <nfsMountBase>/<md5 hex of the export string> (Nova's name; sha256 as an option);
//   not in /proc/self/mountinfo → mkdir, mount -t nfs [-o OPTIONS] -- EXPORT MOUNTPOINT,
//   then it must be in mountinfo; the volume is the file <mountpoint>/<name> and must exist.
// Disconnect:
//   1. not in /proc/self/mountinfo → nothing to do
//   2. any other domain disk whose source lies under the mountpoint → keep it
//   3. umount MOUNTPOINT, then rmdir it
// A failed mount answers in the taxonomy, naming the export (mountFailure):
// server unreachable → Unavailable (retry later), refused or misconfigured →
// FailedPrecondition, anything else stays Internal.
// A failed umount (busy, server gone) is only a warning, whatever the policy:
// the volume itself is already detached; a stale mount is cleaned up later, but
// failing here would make the caller think the volume is still in use.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { FailedPrecondition, Internal, InvalidArgument, Unavailable } from '../../errors';
import { CommandError } from '../exec';
import type { DiskInfo } from '../../libvirt/domain-xml';
import { makeDir, pathExists, removeEmptyDir } from '../host-fs';
import { canonicalPath, hostIO, parseMountinfo, type HostIO } from './host-io';
import { md5Hex } from './md5';
import { KeyedMutex } from './mutex';
import type { ConnectionData, ConnectResult, VolumeAttachment, VolumeConnector, VolumeContext, VolumeHostConfig } from './types';
import { dataField, isInside, requiredData, validateExport } from './validate';

export type MountpointHash = 'md5' | 'sha256';

/**
 * Where an export is mounted: md5 hex of the export string by default, as
 * Nova names it, so mounts Nova made on a host being taken over are found (the
 * md5 is our own, not node:crypto's, which FIPS hosts refuse); sha256 hex as
 * an option. The export string is hashed exactly as sent (trimmed), so
 * connect and disconnect must both use this function.
 */
export function nfsMountpoint(mountBase: string, exportSpec: string, hash: MountpointHash = 'md5'): string {
  const spec = exportSpec.trim();
  return path.join(mountBase, hash === 'sha256' ? createHash('sha256').update(spec).digest('hex') : md5Hex(spec));
}

const OPTION = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(=[A-Za-z0-9_.:/+-]+)?$/;

/**
 * Mount options: the agent's configured ones, then the volume's `options`
 * (Cinder sends e.g. "-o vers=4.1" or "vers=4.1,proto=tcp"), each a plain
 * key[=value], never something `mount` could read as another flag.
 */
export function mountOptions(configured: string | undefined, requested: string | undefined): string[] {
  const out: string[] = [];
  const add = (raw: string, field: string) => {
    const s = raw.trim().replace(/^-o\s+/, '');
    if (s === '') return;
    for (const o of s.split(',').map((x) => x.trim())) {
      if (!OPTION.test(o)) throw new InvalidArgument(field, `mount option ${JSON.stringify(o)} is not a plain key[=value]`);
      out.push(o);
    }
  };
  add(configured ?? '', 'config.nfsMountOptions');
  add(requested ?? '', dataField('options'));
  return out;
}

/** The volume's file on the export: one plain name. */
export function nfsVolumeFile(data: Record<string, string>): string {
  const name = data['name'];
  if (name === undefined || name === '') throw new InvalidArgument(dataField('name'), 'is required');
  if (name.length > 255 || !/^[A-Za-z0-9_.+-]+$/.test(name) || name === '.' || name === '..') {
    throw new InvalidArgument(dataField('name'), `${JSON.stringify(name)} must be a plain file name`);
  }
  return name;
}

/** The topmost mount at one of the names of a mountpoint, from mountinfo. */
async function mountedAt(host: HostIO, names: string[]): Promise<{ mountPoint: string; source: string; fsType: string } | undefined> {
  return parseMountinfo(await host.readMountinfo()).filter((e) => names.includes(e.mountPoint)).pop();
}

/**
 * mount.nfs reports (LC_ALL=C) that the server could not be reached: down,
 * no route, refusing, the RPC to it timing out, a transient resolver failure.
 */
const UNREACHABLE = new RegExp([
  'timed out', 'no route to host', 'connection refused', 'connection reset', 'network is unreachable', 'host is down',
  'server is not responding', 'temporary failure in name resolution', 'rpc: (remote system error|unable to receive|port mapper failure)',
].join('|'), 'i');

/**
 * A failed `mount -t nfs` in the taxonomy, naming the export. mount(8) exits
 * 32 for every failed mount (mount.nfs says why on stderr): unreachable →
 * Unavailable, retryable; anything else the server or this host refused
 * (access denied, no such export, unsupported version, bad option, no NFS
 * helper) → FailedPrecondition; 1 (bad invocation or permissions) and a mount
 * binary that cannot run → FailedPrecondition; other codes (system error,
 * internal bug) → Internal. Not a CommandError (a timeout is already
 * Timeout): unchanged.
 */
export function mountFailure(err: unknown, exportSpec: string, mountpoint: string): unknown {
  if (!(err instanceof CommandError)) return err;
  const what = `NFS export ${exportSpec}`;
  if (err.code === 32 && UNREACHABLE.test(err.stderr)) {
    return new Unavailable(`${what}: the NFS server could not be reached (retry when it is back): ${err.message}`, { cause: err });
  }
  if (err.code === 32 || err.code === 1 || (err.code === -1 && /\((ENOENT|EACCES)\)/.test(err.message))) {
    return new FailedPrecondition(`${what} could not be mounted on ${mountpoint}: ${err.message}`, { cause: err });
  }
  return new Internal(`${what} could not be mounted on ${mountpoint}: ${err.message}`, { cause: err });
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

  validate(data: ConnectionData, opts: { connect?: boolean }): void {
    validateExport(dataField('export'), requiredData(data, 'export'));
    if (opts.connect) {
      nfsVolumeFile(data);
      mountOptions(undefined, data['options']);
    }
  }

  /** The mountpoint is derived from the export, never taken from the request. */
  async checkPaths(): Promise<void> {}

  /** A file under the export's mountpoint, by either naming scheme: the mount may predate a change of nfsMountpointHash. */
  matchesDisk(data: ConnectionData, disk: DiskInfo, config: Pick<VolumeHostConfig, 'nfsMountBase'>): boolean {
    const exportSpec = data['export'];
    const file = disk.path;
    return !!exportSpec && !!file
      && (['md5', 'sha256'] as const).some((h) => file.startsWith(`${nfsMountpoint(config.nfsMountBase, exportSpec, h)}/`));
  }

  /** Keys read from data: `export` ("host:/path"), `name` (the volume's file), optional `options`. */
  async connect(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult> {
    const data = vol.connection_info?.data ?? {};
    const raw = data['export'];
    if (raw === undefined || raw.trim() === '') throw new InvalidArgument(dataField('export'), 'is required');
    const exportSpec = validateExport(dataField('export'), raw);
    const name = nfsVolumeFile(data);
    const options = mountOptions(ctx.config.nfsMountOptions, data['options']);
    const base = nfsMountBase(ctx.config.nfsMountBase);
    const mountpoint = nfsMountpoint(base, exportSpec, ctx.config.nfsMountpointHash);
    if (!isInside(base, mountpoint)) throw new FailedPrecondition(`mountpoint ${mountpoint} escapes ${base}`);
    const host = ctx.host ?? hostIO();
    await nfsMountLocks.runExclusive(mountpoint, () => ctx.steps.run(`nfs: mount ${exportSpec}`, async (step) => {
      const names = [...new Set([mountpoint, path.join(await canonicalPath(base), path.basename(mountpoint))])];
      const hit = await mountedAt(host, names);
      if (hit) {
        step.detail(`already mounted: ${hit.source} on ${hit.mountPoint} (${hit.fsType})`);
        return;
      }
      await makeDir(mountpoint);
      await ctx.runner.run('mount', ['-t', 'nfs', ...(options.length ? ['-o', options.join(',')] : []), '--', exportSpec, mountpoint],
        { timeoutMs: ctx.config.commandTimeoutMs }).catch((err: unknown) => { throw mountFailure(err, exportSpec, mountpoint); });
      // Trust the mount table, not the exit code alone.
      const now = await mountedAt(host, names);
      if (!now) throw new FailedPrecondition(`mount of ${exportSpec} on ${mountpoint} reported success but is not in the mount table`);
      step.detail(`${now.source} on ${now.mountPoint} (${now.fsType})`);
    }), ctx.config.lockTimeoutMs);
    const file = path.join(mountpoint, name);
    await ctx.steps.run('nfs: check volume file', async (step) => {
      if (!(await pathExists(file))) throw new FailedPrecondition(`volume file ${name} not found on ${exportSpec} (${file})`);
      step.detail(file);
    });
    return { devicePath: file };
  }

  /** Keys read from data: `export` ("host:/path"); `name` (the file) is not needed to unmount. */
  async disconnect(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
    const raw = vol.connection_info?.data['export'];
    if (raw === undefined || raw.trim() === '') throw new InvalidArgument(dataField('export'), 'is required');
    const exportSpec = validateExport(dataField('export'), raw);
    const base = nfsMountBase(ctx.config.nfsMountBase);
    const mountpoint = nfsMountpoint(base, exportSpec, ctx.config.nfsMountpointHash);
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
      if ((await removeEmptyDir(at)) === 'missing') step.outcome('skipped');
    });
  }
}
