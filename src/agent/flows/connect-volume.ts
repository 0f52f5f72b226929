// ConnectVolume: the host side of a volume (iSCSI login on every portal of a
// multipath set + device + multipath map, krbd map, NFS mount, local check),
// answering where the volume is on this host. PowerOn and HardReboot connect
// the volumes they are given the same way before the start, so a guest whose
// host was rebooted (sessions, mappings and mounts gone) can come back.
import type { DomainRef } from '../../libvirt/host';
import { connectHost, ErrorPolicy, type VolumeAttachment } from '../volume';
import { volumeContext } from '../volume-disk';
import { checkVolume } from './disconnect-volume';
import type { FlowDeps, OpContext } from './types';

export interface ConnectVolumeInput {
  /** Only orders the connect with that domain's other operations; it need not exist yet. */
  ref?: DomainRef;
  /** Unset in a request without one: refused, naming the field. */
  volume: VolumeAttachment | undefined;
}

export interface ConnectVolumeResult {
  devicePath: string;
}

/** Checks every volume (fields and paths) before any of them is connected. */
export function checkVolumesForConnect(deps: FlowDeps, volumes: VolumeAttachment[], field: string): Promise<VolumeAttachment[]> {
  return Promise.all(volumes.map((v, i) => checkVolume(v, deps.config.localVolumeDirs, `${field}[${i}]`, { connect: true })));
}

/** Connects one already checked volume; any failure aborts. */
export async function connectChecked(deps: FlowDeps, ctx: OpContext, vol: VolumeAttachment): Promise<string> {
  // Connect has no force/ignore_errors: a failing step throws at once.
  const r = await connectHost(vol, volumeContext(deps, ctx, new ErrorPolicy({}, ctx.steps)));
  return r.devicePath;
}

export async function connectVolume(deps: FlowDeps, ctx: OpContext, input: ConnectVolumeInput): Promise<ConnectVolumeResult> {
  const vol = await checkVolume(input.volume, deps.config.localVolumeDirs, 'volume', { connect: true });
  return { devicePath: await connectChecked(deps, ctx, vol) };
}
