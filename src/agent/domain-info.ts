// What the agent reports about one domain (GetDomain, ListDomains, and
// DefineDomain's answer): its state and reason, persistence, managed-save
// image, runtime id and disks, read from libvirt in one go.
import type { DomainState } from '../libvirt/constants';
import { parseDomainXml } from '../libvirt/domain-xml';
import type { Guest } from '../libvirt/guest';

/** One disk as reported (the proto's Disk). */
export interface DiskSummary {
  targetDev: string;
  source: string;
  type: string;
  device: string;
  bus: string;
  protocol: string;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  state: DomainState;
  reason: number;
  persistent: boolean;
  hasManagedSave: boolean;
  /** libvirt's runtime id when the Guest was looked up; -1 when not running. */
  id: number;
  disks: DiskSummary[];
}

export async function describeDomain(guest: Guest): Promise<DomainInfo> {
  const [{ state, reason }, persistent, hasManagedSave, xml] = await Promise.all([
    guest.state(), guest.isPersistent(), guest.hasManagedSaveImage(), guest.xml(),
  ]);
  const disks = parseDomainXml(xml).disks.map((d) => ({
    targetDev: d.targetDev, source: d.source, type: d.type, device: d.device, bus: d.bus, protocol: d.protocol,
  }));
  return { name: guest.name, uuid: guest.uuid, state, reason, persistent, hasManagedSave, id: guest.id, disks };
}
