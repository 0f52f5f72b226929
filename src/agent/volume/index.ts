// The connector registry: one connector per volume type (volume-types.ts
// lists them; the `satisfies` below makes a missing or extra one a compile
// error), and the entry points the flows call, each dispatching on
// connection_info.driver_volume_type.
import { InvalidArgument } from '../../errors';
import type { DiskInfo } from '../../libvirt/domain-xml';
import { DRIVER_VOLUME_TYPES, isDriverVolumeType, type DriverVolumeType } from '../../volume-types';
import { IscsiConnector } from './iscsi';
import { LocalConnector } from './local';
import { NfsConnector } from './nfs';
import { RbdConnector } from './rbd';
import type { ConnectionInfo, ConnectResult, VolumeAttachment, VolumeConnector, VolumeContext } from './types';

export type {
  ConnectionInfo, ConnectResult, DiskSource, DriverVolumeType, HostVolumeUsage, VolumeAttachment, VolumeConnector, VolumeContext, VolumeHostConfig,
} from './types';
export { ErrorPolicy, type PolicyFlags } from './policy';

const CONNECTORS = {
  iscsi: new IscsiConnector(),
  rbd: new RbdConnector(),
  nfs: new NfsConnector(),
  local: new LocalConnector(),
} satisfies { [T in DriverVolumeType]: VolumeConnector & { readonly type: T } };

export const DRIVER_TYPE_FIELD = 'volume.connection_info.driver_volume_type';

/** The connector for a Cinder driver_volume_type (exact, lower-case as Cinder sends it). */
export function connectorFor(type: string): VolumeConnector {
  if (!isDriverVolumeType(type)) {
    throw new InvalidArgument(DRIVER_TYPE_FIELD, `unsupported type ${JSON.stringify(type)} (supported: ${DRIVER_VOLUME_TYPES.join(', ')})`);
  }
  return CONNECTORS[type];
}

function infoOf(vol: VolumeAttachment): ConnectionInfo {
  const info = vol.connection_info;
  if (!info) throw new InvalidArgument('volume.connection_info', 'is required');
  return info;
}

/**
 * Runs the host-side disconnect of one volume. Steps and errors go to
 * ctx.steps / ctx.errors; the caller calls ctx.errors.finish() once the whole
 * operation (guest detach + host disconnect) is done, to get the warnings or
 * the summarised failure.
 */
export async function disconnectHost(vol: VolumeAttachment, ctx: VolumeContext): Promise<void> {
  await connectorFor(infoOf(vol).driver_volume_type).disconnect(vol, ctx);
}

/** Runs the host-side connect of one volume; answers where it is on this host. */
export async function connectHost(vol: VolumeAttachment, ctx: VolumeContext): Promise<ConnectResult> {
  return connectorFor(infoOf(vol).driver_volume_type).connect(vol, ctx);
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

/** connection_info.data checked by its connector before anything happens (VolumeConnector.validate). */
export function validateConnectionData(info: ConnectionInfo, opts: { connect?: boolean } = {}): void {
  connectorFor(info.driver_volume_type).validate(info.data, opts);
}

/** The file-system checks of its connector, also before anything happens (VolumeConnector.checkPaths). */
export async function checkVolumePaths(info: ConnectionInfo, localVolumeDirs: readonly string[]): Promise<void> {
  await connectorFor(info.driver_volume_type).checkPaths(info.data, localVolumeDirs);
}

/** Which of a domain's disks the volume is: by target when the request names one, else by its connector. */
export function findVolumeDisk(vol: VolumeAttachment, disks: DiskInfo[], nfsMountBase: string): DiskInfo | undefined {
  if (vol.target_dev) return disks.find((d) => d.targetDev === vol.target_dev);
  const info = vol.connection_info;
  if (!info) return undefined;
  const connector = connectorFor(info.driver_volume_type);
  return disks.find((d) => connector.matchesDisk(info.data, d, { nfsMountBase }));
}
