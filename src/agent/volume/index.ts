// Entry point of the host half of volume connect and disconnect.
import { InvalidArgument } from '../../errors';
import { IscsiConnector, iscsiPaths } from './iscsi';
import { chapSettings } from './iscsi-connect';
import { LocalConnector, localVolumePath } from './local';
import { mountOptions, NfsConnector, nfsVolumeFile } from './nfs';
import { RbdConnector, rbdConnectArgs, rbdImage } from './rbd';
import type { ConnectionInfo, ConnectResult, DriverVolumeType, VolumeAttachment, VolumeConnector, VolumeContext } from './types';
import { dataField, validateAbsolutePath, validateExport } from './validate';

export type { ConnectionInfo, ConnectResult, DiskSource, DriverVolumeType, HostVolumeUsage, VolumeAttachment, VolumeConnector, VolumeContext, VolumeHostConfig } from './types';
export { ErrorPolicy, type PolicyFlags } from './policy';

const connectors: ReadonlyMap<string, VolumeConnector> = new Map<DriverVolumeType, VolumeConnector>([
  ['iscsi', new IscsiConnector()],
  ['rbd', new RbdConnector()],
  ['nfs', new NfsConnector()],
  ['local', new LocalConnector()],
]);

export const DRIVER_TYPE_FIELD = 'volume.connection_info.driver_volume_type';

/** The connector for a Cinder driver_volume_type (exact, lower-case as Cinder sends it). */
export function connectorFor(type: string): VolumeConnector {
  const c = connectors.get(type);
  if (!c) {
    throw new InvalidArgument(DRIVER_TYPE_FIELD, `unsupported type ${JSON.stringify(type)} (supported: ${[...connectors.keys()].join(', ')})`);
  }
  return c;
}

/**
 * Runs the host-side disconnect of one volume. Steps and errors go to
 * ctx.steps / ctx.errors; the caller calls ctx.errors.finish() once the whole
 * operation (guest detach + host disconnect) is done, to get the warnings or
 * the summarised failure.
 */
export async function disconnectHost(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
  const info = vol.connection_info;
  if (!info) throw new InvalidArgument('volume.connection_info', 'is required');
  await connectorFor(info.driver_volume_type).disconnect(vol, ctx);
}

/** Runs the host-side connect of one volume; answers where it is on this host. */
export async function connectHost(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult> {
  const info = vol.connection_info;
  if (!info) throw new InvalidArgument('volume.connection_info', 'is required');
  return connectorFor(info.driver_volume_type).connect(vol, ctx);
}

/**
 * True for a disk QEMU connects to itself (<disk type='network'>, e.g.
 * protocol iscsi via libiscsi or rbd via librbd): there is no host-side
 * session, mapping or mount, so only the guest detach is needed; calling
 * disconnectHost would only search for host state that never existed.
 */
export function isQemuNativeNetworkDisk(diskType: string, protocol: string | undefined): boolean {
  return diskType === 'network' && protocol !== undefined && protocol !== '';
}

/**
 * Checks connection_info.data for its type before anything happens — in
 * particular before the guest detach, so a request the connector would refuse
 * never leaves a volume half disconnected, and before any connect, so one bad
 * volume of several is refused before the first is connected. `connect` adds
 * what only connecting needs (CHAP settings, monitors, the NFS file name).
 * The connectors check again.
 */
export function validateConnectionData(info: ConnectionInfo, opts: { connect?: boolean } = {}): void {
  const data = info.data ?? {};
  const required = (key: string): string => {
    const v = data[key];
    if (v === undefined || v.trim() === '') throw new InvalidArgument(dataField(key), 'is required');
    return v;
  };
  switch (connectorFor(info.driver_volume_type).type) {
    case 'iscsi':
      iscsiPaths(data);
      if (opts.connect) chapSettings(data);
      break;
    case 'rbd':
      rbdImage(data);
      if (opts.connect) rbdConnectArgs(data);
      break;
    case 'nfs':
      validateExport(dataField('export'), required('export'));
      if (opts.connect) {
        nfsVolumeFile(data);
        mountOptions(undefined, data['options']);
      }
      break;
    case 'local':
      validateAbsolutePath(dataField('device_path'), required('device_path'));
      break;
  }
}

/**
 * The checks that need the file system (canonical paths inside the allowed
 * directories), also before anything happens.
 */
export async function checkVolumePaths(info: ConnectionInfo, localVolumeDirs: readonly string[]): Promise<void> {
  if (info.driver_volume_type === 'local') await localVolumePath(info.data ?? {}, localVolumeDirs);
}
