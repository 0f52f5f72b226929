// Entry point of the host half of volume disconnect.
import { InvalidArgument } from '../../errors';
import { IscsiConnector } from './iscsi';
import { LocalConnector } from './local';
import { NfsConnector } from './nfs';
import { RbdConnector } from './rbd';
import type { DriverVolumeType, VolumeAttachment, VolumeConnector, VolumeContext } from './types';

export type { ConnectionInfo, DiskSource, DriverVolumeType, HostVolumeUsage, VolumeAttachment, VolumeConnector, VolumeContext, VolumeHostConfig } from './types';
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

/**
 * True for a disk QEMU connects to itself (<disk type='network'>, e.g.
 * protocol iscsi via libiscsi or rbd via librbd): there is no host-side
 * session, mapping or mount, so only the guest detach is needed; calling
 * disconnectHost would only search for host state that never existed.
 */
export function isQemuNativeNetworkDisk(diskType: string, protocol: string | undefined): boolean {
  return diskType === 'network' && protocol !== undefined && protocol !== '';
}
