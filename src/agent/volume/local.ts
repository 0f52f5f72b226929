// 'local' volumes (Cinder's LocalConnector): a block device or file already on
// the host. Neither connect nor disconnect has anything to do on the host;
// both validate the path so a bogus or out-of-bounds path is reported rather
// than silently accepted. A path that does not exist is answered with a
// warning step, as os-brick answers it: whether the guest can start without
// it is decided by the disk check before a start, which refuses a missing
// disk the guest's definition uses.
import { InvalidArgument } from '../../errors';
import type { DiskInfo } from '../../libvirt/domain-xml';
import { pathExists } from '../host-fs';
import { canonicalPath } from './host-io';
import type { ConnectionData, ConnectResult, VolumeAttachment, VolumeConnector, VolumeContext } from './types';
import { dataField, isInside, requiredData, validateAbsolutePath } from './validate';

/**
 * Key read from data: `device_path` (absolute). With config.localVolumeDirs set,
 * the canonical path must lie inside one of them (also canonicalized).
 */
export async function localVolumePath(data: Record<string, string>, allowedDirs: readonly string[] = []): Promise<string> {
  const field = dataField('device_path');
  const raw = data['device_path'];
  if (raw === undefined || raw === '') throw new InvalidArgument(field, 'is required');
  const resolved = await canonicalPath(validateAbsolutePath(field, raw));
  if (allowedDirs.length > 0) {
    const dirs = await Promise.all(allowedDirs.map((d) => canonicalPath(validateAbsolutePath('config.localVolumeDirs', d))));
    if (!dirs.some((d) => isInside(d, resolved))) {
      throw new InvalidArgument(field, `${JSON.stringify(raw)} is not inside the allowed directories (${allowedDirs.join(', ')})`);
    }
  }
  return resolved;
}

export class LocalConnector implements VolumeConnector {
  readonly type = 'local' as const;

  validate(data: ConnectionData): void {
    validateAbsolutePath(dataField('device_path'), requiredData(data, 'device_path'));
  }

  async checkPaths(data: ConnectionData, localVolumeDirs: readonly string[]): Promise<void> {
    await localVolumePath(data, localVolumeDirs);
  }

  /** The disk whose source is the device path. */
  matchesDisk(data: ConnectionData, disk: DiskInfo): boolean {
    return !!data['device_path'] && disk.source === data['device_path'];
  }

  async connect(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult> {
    const data = vol.connection_info?.data ?? {};
    const p = await localVolumePath(data, ctx.config.localVolumeDirs);
    return ctx.steps.run('local: check device', async (step) => {
      if (await pathExists(p).catch(() => false)) step.detail(p);
      else {
        step.outcome('warning');
        step.detail(`${p} does not exist on this host`);
      }
      // The path as given: it is what the domain's XML names.
      return { devicePath: validateAbsolutePath(dataField('device_path'), data['device_path']!) };
    });
  }

  async disconnect(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
    const p = await localVolumePath(vol.connection_info?.data ?? {}, ctx.config.localVolumeDirs);
    ctx.steps.record('local: host disconnect', 'skipped', `${p}: nothing to undo on the host`);
  }
}
